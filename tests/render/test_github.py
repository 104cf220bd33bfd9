"""The github format: a document's alerts as workflow commands GitHub shows on the pull
request, messages escaped so that one alert stays one line."""

from __future__ import annotations

from costlab.render import Alert, Document, write


def test_each_alert_is_one_workflow_command():
    doc = Document("check", ("Checked x.",), (), alerts=(
        Alert("error", "costlab check: toy costs more", "toy: macs grew 5%\nby a lot", "x.json"),
        Alert("notice", "costlab check", "all good")))
    assert write(doc, "github") == (
        "::error file=x.json,title=costlab check%3A toy costs more::toy: macs grew 5%25%0Aby a "
        "lot\n"
        "::notice title=costlab check::all good\n")


def test_properties_escape_what_would_end_them():
    # GitHub ends a property at ',' and the properties at '::': a lock entry's settings
    # (`alpha=0.25,resolution=128`) stay in the title, and the file name whole.
    doc = Document("check", (), (), alerts=(
        Alert("error", "mobilenetv1:alpha=0.25,resolution=128 costs more", "grew", "a,b:c.json"),))
    assert write(doc, "github") == (
        "::error file=a%2Cb%3Ac.json,title=mobilenetv1%3Aalpha=0.25%2Cresolution=128 costs "
        "more::grew\n")


def test_a_document_without_alerts_is_one_notice_of_what_was_written():
    doc = Document("report", ("lenet5: 1 x 1 x 32 x 32", "fp32"), ())
    assert write(doc, "github") == "::notice title=costlab report::lenet5: 1 x 1 x 32 x 32 fp32\n"
