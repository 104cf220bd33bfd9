"""A new format is one writer: registered once, every command offers it, and every document
(the reports of `costlab reproduce` too) goes through the registry."""

from __future__ import annotations

import pytest

from costlab import render
from costlab.errors import OptionError
from costlab.render import Document, write
from tests.conftest import TOY_SPEC


@pytest.fixture
def tsv_writer():
    def write_tsv(document: Document) -> str:
        """Every table of the document, raw values under their keys, a blank line apart."""
        tables = []
        for section in document.sections:
            if not section.columns:
                continue
            lines = ["\t".join(c.key for c in section.columns)]
            lines += ["\t".join(str(row.get(c.key, "")) for c in section.columns)
                      for row in section.rows]
            tables.append("\n".join(lines) + "\n")
        return "\n".join(tables)
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


def test_a_registered_writer_serves_check(tsv_writer, run_cli, tmp_path, monkeypatch):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "toy.yaml").write_text(TOY_SPEC.lstrip())
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n")
    monkeypatch.chdir(tmp_path)
    assert run_cli("snapshot", "toy").exit_code == 0
    checked = run_cli("check", "--all", "--format", "tsv")
    assert checked.exit_code == 0, checked.stderr
    lines = checked.stdout.splitlines()
    assert lines[0].startswith("model\tmetric\told\tnew\t")
    assert lines[1].startswith("toy\t") and len(lines) > 2    # one row per metric


def test_a_registered_writer_serves_sweep(tsv_writer, run_cli, write_spec):
    swept = run_cli("sweep", str(write_spec(TOY_SPEC)), "--grid", "alpha=0.5,1.0",
                    "--format", "tsv")
    assert swept.exit_code == 0, swept.stderr
    lines = swept.stdout.splitlines()
    assert lines[0].startswith("alpha\t") and [line.split("\t")[0] for line in lines[1:]] \
        == ["0.5", "1.0"]


def test_reproduce_writes_its_reports_with_the_registered_markdown_writer(tsv_writer,
                                                                          monkeypatch):
    from costlab.papers.reproduce import reproduce
    monkeypatch.setitem(render.WRITERS, "markdown", render.WRITERS["tsv"])
    text = reproduce(["mobilenetv2-bottleneck-cost"])["mobilenetv2-bottleneck-cost.md"]
    assert text.splitlines()[0].startswith("block\tinput\td_in\tt\td_out\tstride\t")
    first = next(line.split("\t") for line in text.splitlines()
                 if line.startswith("bottleneck1\t"))
    # MobileNetV2's first block (t=1, 32 -> 16 channels at 112x112), raw numbers: depthwise
    # 112*112*32*9 = 3,612,672 plus projection 112*112*32*16 = 6,422,528; the printed formula
    # h*h*d'*t*(d' + k^2 + d'') = 112*112*32*1*(32 + 9 + 16) = 22,880,256.
    assert first[1:8] == ["(112, 112)", "32", "1", "16", "1", "10035200", "22880256"]
    claims = text.split("\n\n")[-1]                     # the claims table comes last
    assert claims.startswith("document\tlocation\tclaim\tpublished\tcomputed\t")


def test_every_command_offers_parquet_and_github():
    assert {"parquet", "github"} <= set(render.formats())
    assert "parquet" not in render.formats(stdout=True)     # check has no -o: bytes need one


def test_registering_a_format_twice_is_refused(tsv_writer):
    with pytest.raises(ValueError, match="registered twice"):
        render.register_writer("tsv", tsv_writer)
