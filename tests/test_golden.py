"""Golden outputs: the terminal, markdown and JSON of report, memory and compare on two specs,
byte for byte. After an intended change of output, regenerate them and review the diff:

    python -m pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"

CASES = {
    "report-lenet5": ["report", "lenet5"],
    "report-mobilenetv2-depth1": ["report", "mobilenetv2", "--depth", "1"],
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
