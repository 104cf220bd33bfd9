"""`costlab check`: exit 0 when nothing grew, 1 when a cost grew or broke a budget, 2 on bad
input; a markdown table of old, new and change; and costlab's own lock file holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import costlab.api
from tests.conftest import TOY_SPEC
from tests.formulas import torch_stage_params, toy_macs

ROOT = Path(__file__).resolve().parents[2]
WIDER = TOY_SPEC.replace("{op: conv, c: 16, s: 2}", "{op: conv, c: 24, s: 2}")


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def project(tmp_path, monkeypatch, run_cli):
    """A scratch project with specs/toy.yaml, snapshotted at two widths."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "toy.yaml").write_text(TOY_SPEC.lstrip())
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'scratch'\n")
    monkeypatch.chdir(tmp_path)
    assert run_cli("snapshot", "toy", "toy:alpha=0.5").exit_code == 0
    return tmp_path


def _prose(markdown: str) -> str:
    """The text as markdown shows it: wrapped lines joined again."""
    return " ".join(markdown.split())


def _table(markdown: str) -> list[list[str]]:
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_unchanged_project_passes(project, run_cli):
    result = run_cli("check", "--format", "markdown")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "### costlab check: ok"
    assert "Checked costlab.lock.json (2 models; params under 'torch', memory at fp32); " \
           "tolerance 0%." in _prose(result.stdout)
    assert "Unchanged: 2 models (toy, toy:alpha=0.5)." in _prose(result.stdout)


def test_a_widened_layer_fails_naming_model_metric_and_change(project, run_cli):
    (project / "specs" / "toy.yaml").write_text(WIDER.lstrip())
    old, new = toy_macs(stem_channels=16), toy_macs(stem_channels=24)   # by hand
    result = run_cli("check", "--format", "markdown")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "### costlab check: failed (2 models, 6 metrics)"
    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert _prose(table[0]) == "| model | metric | old | new | change | status |"
    alignment = table[1].strip("|").split("|")                # text left, numbers right
    assert [cell.startswith(":") for cell in alignment] == [True, True, False, False, False, True]
    assert len({len(line) for line in table}) == 1            # aligned in a terminal too
    rows = {(r[0], r[1]): r for r in _table(result.stdout)}
    change = (new - old) / old * 100
    assert rows["toy", "macs"] == ["toy", "macs", f"{old:,}", f"{new:,}", f"{change:+.2f}%",
                                   "grew"]
    params = sum(torch_stage_params("toy").values())           # torch's count, widened
    assert rows["toy", "params"][3] == f"{params:,}"
    # the stage that grew most: the stem, 16 x 16 x 3 x 3 x 3 MACs per output channel, 8 more
    # channels (the depthwise separable layer after it grows by 8 x 8 x (9 + 32) x 8 only)
    assert (f"- **toy**: macs, flops, params grew past the 0% tolerance; grew most in conv1: "
            f"macs {16 * 16 * 27 * 16:,} -> {16 * 16 * 27 * 24:,}") in _prose(result.stdout)
    assert "To accept the new costs, rewrite the lock file: costlab snapshot -o " \
           "costlab.lock.json" in _prose(result.stdout)


def test_revert_passes_again_and_tolerance_allows_small_growth(project, run_cli):
    spec = project / "specs" / "toy.yaml"
    spec.write_text(WIDER.lstrip())
    assert run_cli("check", "--format", "markdown").exit_code == 1
    assert run_cli("check", "--format", "markdown", "--tolerance", "1000").exit_code == 0
    assert "within tolerance" in run_cli("check", "--tolerance", "1000").stdout
    spec.write_text(TOY_SPEC.lstrip())
    assert run_cli("check", "--format", "markdown").exit_code == 0


def test_a_smaller_model_passes_and_says_so(project, run_cli):
    spec = project / "specs" / "toy.yaml"
    spec.write_text(TOY_SPEC.replace("{op: conv, c: 16, s: 2}", "{op: conv, c: 8, s: 2}").lstrip())
    result = run_cli("check", "--format", "markdown")
    assert result.exit_code == 0 and "| shrank" in result.stdout


def test_an_exceeded_budget_fails_with_a_clear_line(project, run_cli):
    macs = toy_macs()    # by hand
    (project / "pyproject.toml").write_text(
        f"[tool.costlab.budgets.toy]\nmax_macs = {macs - 1}\nmax_params = '1G'\n")
    result = run_cli("check", "--format", "markdown")
    assert result.exit_code == 1
    assert f"- **toy**: macs {macs:,} is over its budget of {macs - 1:,} by 1 (" in \
        _prose(result.stdout)
    assert _table(result.stdout)[1][:2] == ["toy", "params"]
    assert _table(result.stdout)[1][-1] == "within budget"


def test_budgets_alone_without_a_lock_file(project, run_cli):
    (project / "costlab.lock.json").unlink()
    (project / "pyproject.toml").write_text("[tool.costlab.budgets.\"toy:alpha=0.5\"]\n"
                                            "max_peak_bytes = 1\n")
    result = run_cli("check", "--format", "markdown")
    assert result.exit_code == 1
    assert "Checked the budgets of toy:alpha=0.5; tolerance 0%." in _prose(result.stdout)
    peak = costlab.api.memory("toy", alpha=0.5, dtype="fp32")[1].peak
    assert f"peak_bytes {peak.bytes:,} is over its budget of 1" in _prose(result.stdout)
    assert f"peak_bytes at {peak.module}" in _prose(result.stdout)


def test_step_summary_gets_the_markdown(project, run_cli, monkeypatch):
    summary = project / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run_cli("check", "--format", "markdown")
    assert summary.read_text() == "earlier step\n" + result.stdout + "\n"


def test_all_shows_every_metric(project, run_cli):
    rows = _table(run_cli("check", "--format", "markdown", "--all").stdout)
    assert len(rows) == 2 * 5 and {r[-1] for r in rows} == {"same"}


@pytest.mark.parametrize("setup, args, words", [
    (lambda p: (p / "costlab.lock.json").write_text("{\"format\": 1,"), [],
     "costlab.lock.json: not valid JSON: "),
    (lambda p: None, ["missing.json"], "cannot read lock file missing.json"),
    (lambda p: (p / "specs" / "toy.yaml").rename(p / "specs" / "gone.yaml"), [],
     "costlab.lock.json: entry 'toy': unknown model 'toy'"),
    (lambda p: None, ["--tolerance", "-1"], "Invalid value for '--tolerance'"),
    (lambda p: None, ["--tolerance", "some"], "Invalid value for '--tolerance'"),
    (lambda p: (p / "pyproject.toml").write_text("[tool.costlab.budgets.toy]\nmacs = 1\n"), [],
     "unknown key 'macs'; a budget's keys are max_macs"),
    (lambda p: (p / "pyproject.toml").write_text("[tool.costlab.budgets.nonet]\nmax_macs = 1\n"),
     [], "budget for 'nonet': unknown model 'nonet'"),
])
def test_bad_input_exits_2_with_one_line(project, run_cli, setup, args, words):
    setup(project)
    result = run_cli("check", *args)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costlab: error: ") and words in lines[0]


def test_a_config_change_is_noted(project, run_cli):
    lock = project / "costlab.lock.json"
    data = json.loads(lock.read_text())
    data["entries"]["toy"]["config"]["num_classes"] = 100
    del data["entries"]["toy"]["config"]["alpha"]           # a parameter the spec gained
    data["costlab_version"] = "0.0.1"
    lock.write_text(json.dumps(data))
    result = run_cli("check", "--format", "markdown")
    assert result.exit_code == 0
    assert "- note: toy: parameters changed: num_classes 100 -> 10, alpha added (1.0)" in \
        _prose(result.stdout)
    assert f"written by costlab 0.0.1; this is {costlab.__version__}" in _prose(result.stdout)


def test_costlab_own_lock_file_holds(run_cli, monkeypatch):
    # Dogfooding: a change to a block, a rule or a spec that moves any cost fails here;
    # accept it with `costlab snapshot` (which measures the lock file's entries again).
    monkeypatch.chdir(ROOT)
    result = run_cli("check", "--format", "markdown")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Checked costlab.lock.json" in result.stdout


def test_github_format_annotates_each_failing_model(project, run_cli, monkeypatch):
    (project / "specs" / "toy.yaml").write_text(WIDER.lstrip())
    monkeypatch.setenv("GITHUB_ACTIONS", "true")            # the default format in Actions
    result = run_cli("check")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split("::")[1] for line in lines] == [
        "error file=costlab.lock.json,title=costlab check%3A toy costs more",   # ':' escaped
        "error file=costlab.lock.json,title=costlab check%3A toy%3Aalpha=0.5 costs more"]
    assert lines[0].split("::")[2].startswith("toy: macs 1,946,944 -> ")
    assert "%0A" not in lines[0] and "past the 0%25 tolerance" in lines[0]   # % escaped


def test_yaml_of_the_pre_commit_hook_runs_costlab_check():
    import yaml
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["id"] == "costlab-check" and hooks[0]["entry"].startswith("costlab check")


def test_a_training_budget(project, run_cli):
    training = costlab.analyze("toy", training=True).totals["training_macs"]
    (project / "pyproject.toml").write_text(
        f"[tool.costlab.budgets.toy]\nmax_training_macs = {training - 1}\n")
    result = run_cli("check", "--format", "markdown")
    assert result.exit_code == 1
    assert f"- **toy**: training_macs {training:,} is over its budget of {training - 1:,} " \
           "by 1 (" in _prose(result.stdout)
    (project / "pyproject.toml").write_text(
        f"[tool.costlab.budgets.toy]\nmax_training_macs = {training}\n")
    assert run_cli("check", "--format", "markdown").exit_code == 0


def test_a_terminal_gets_the_table_and_markdown_is_asked_for(project, run_cli):
    # the default, as every command's: a plain table, no markdown markup (**, |, ###)
    plain = run_cli("check").stdout
    assert plain.splitlines()[0] == "costlab check: ok"
    assert "|" not in plain and "**" not in plain and "###" not in plain
    assert run_cli("check", "--format", "markdown").stdout.startswith("### costlab check: ok")
