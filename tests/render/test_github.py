"""The github format: a document's alerts as workflow commands GitHub shows on the pull
request, messages escaped so that one alert stays one line."""

from __future__ import annotations

from costlab.render import Alert, Document, write


def test_each_alert_is_one_workflow_command():
    doc = Document("check", ("Checked x.",), (), alerts=(
        Alert("error", "costlab check: toy costs more", "toy: macs grew 5%\nby a lot", "x.json"),
        Alert("notice", "costlab check", "all good")))
    assert write(doc, "github") == (
        "::error file=x.json,title=costlab check: toy costs more::toy: macs grew 5%25%0Aby a lot\n"
        "::notice title=costlab check::all good\n")


def test_a_document_without_alerts_is_one_notice_of_what_was_written():
    doc = Document("report", ("lenet5: 1 x 1 x 32 x 32", "fp32"), ())
    assert write(doc, "github") == "::notice title=costlab report::lenet5: 1 x 1 x 32 x 32 fp32\n"
