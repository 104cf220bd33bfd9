"""Golden outputs: the terminal, markdown and JSON of report, memory and compare on two specs,
byte for byte. After an intended change of output, regenerate them and review the diff:

    python -m pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"

CASES = {
    "report-lenet5": ["report", "lenet5"],
    "report-mobilenetv2-depth1": ["report", "mobilenetv2", "--depth", "1"],
    "report-mobilenetv2-tree2": ["report", "mobilenetv2", "--depth", "2", "--tree"],
    "memory-lenet5": ["memory", "lenet5"],
    "memory-mobilenetv2": ["memory", "mobilenetv2", "--view", "bottlenecks", "--dtype", "fp16"],
    "compare-mobilenetv1-mobilenetv2": ["compare", "mobilenetv1", "mobilenetv2"],
    "compare-lenet5-alexnet": ["compare", "lenet5", "alexnet", "--params", "weights"],
}
FORMATS = {"table": "txt", "markdown": "md", "json": "json"}


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("case", list(CASES))
def test_output_matches_the_golden_file(case, fmt, run_cli, update_golden, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    result = run_cli(*CASES[case], "--format", fmt)
    assert result.exit_code == 0, result.stderr
    path = GOLDEN / f"{case}.{FORMATS[fmt]}"
    if update_golden:
        path.write_text(result.stdout, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run pytest --update-golden"
    assert result.stdout == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended: pytest {__file__} --update-golden")


WIDE_CASES = {"report-mobilenetv2": ["report", "mobilenetv2"],
              "memory-mobilenetv2-blocks": ["memory", "mobilenetv2"]}


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("case", list(WIDE_CASES))
def test_terminal_output_at_80_and_120_columns(case, width, run_cli, update_golden,
                                               monkeypatch):
    """No line wider than the terminal, every layer name whole, and the golden text."""
    monkeypatch.setenv("COLUMNS", str(width))
    text = run_cli(*WIDE_CASES[case]).stdout
    assert max(map(len, text.splitlines())) <= width
    names = [row["layer"] for row in json.loads(
        run_cli(*WIDE_CASES[case], "--format", "json").stdout)["layers"]]
    words = set(text.split())
    assert [n for n in names if n not in words] == []
    path = GOLDEN / f"{case}-{width}.txt"
    if update_golden:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs (--update-golden)"
