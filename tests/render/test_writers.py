"""A new format is one writer: registered once, every command offers it."""

from __future__ import annotations

import pytest

from costlab import render
from costlab.errors import OptionError
from costlab.render import Document, write


@pytest.fixture
def tsv_writer():
    def write_tsv(document: Document) -> str:
        section = document.sections[0]
        lines = ["\t".join(c.key for c in section.columns)]
        lines += ["\t".join(str(row.get(c.key, "")) for c in section.columns)
                  for row in section.rows]
        return "\n".join(lines) + "\n"
    render.register_writer("tsv", write_tsv)
    yield write_tsv
    del render.WRITERS["tsv"]


def test_unknown_format_is_an_option_error():
    with pytest.raises(OptionError, match="unknown format 'nope'; one of table"):
        write(Document("t", (), ()), "nope")


def test_a_registered_writer_serves_report_memory_and_compare(tsv_writer, run_cli):
    report = run_cli("report", "lenet5", "--format", "tsv")
    assert report.exit_code == 0, report.stderr
    assert report.stdout.splitlines()[0].split("\t")[:2] == ["label", "value"]  # the totals
    assert run_cli("memory", "lenet5", "--format", "tsv").stdout.startswith("resolution\t")
    compared = run_cli("compare", "lenet5", "alexnet", "--format", "tsv")
    assert compared.stdout.splitlines()[0].startswith("label\tmacs\tmacs_ratio")


def test_registering_a_format_twice_is_refused(tsv_writer):
    with pytest.raises(ValueError, match="registered twice"):
        render.register_writer("tsv", tsv_writer)
