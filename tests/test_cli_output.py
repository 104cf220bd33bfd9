"""Issue 16's terminal feedback, as a user meets it: colour only in a terminal, progress only
on a terminal's stderr, one success line for a command that wrote a file, sources cited by
author, the module tree, and a closed pipe that ends costlab quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from costlab.render.style import strip_styles
from costlab.units import fmt_bytes

RED, GREEN, BOLD = "\x1b[1;31m", "\x1b[32m", "\x1b[1m"


@pytest.fixture
def terminal(monkeypatch):
    """What rich reads as an interactive colour terminal (the runner's streams are not)."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm")


@pytest.mark.parametrize("command", [["report", "mobilenetv2"],
                                     ["memory", "mobilenetv2", "--dtype", "fp16"],
                                     ["compare", "lenet5", "alexnet"]])
def test_a_terminal_gets_styles_and_the_same_text(run_cli, monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "100")
    plain = run_cli(*command).stdout
    assert "\x1b" not in plain                      # piped: plain text, as the goldens hold
    monkeypatch.setenv("FORCE_COLOR", "1")
    styled = run_cli(*command).stdout
    assert "\x1b[" in styled and strip_styles(styled) == plain
    assert styled.startswith(BOLD)                  # the model and its configuration


def test_verdicts_are_coloured_by_what_they_say(run_cli, terminal):
    out = run_cli("report", "mobilenetv2").stdout
    assert f"{RED}differs\x1b[0m" in out
    assert f"{GREEN}rounded\x1b[0m" in out
    assert "\x1b[33mexplained (bottlenecks" in out  # a reading names the view: yellow
    assert "\x1b[2msources: " in out                 # footnotes dimmed


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_color_and_a_dumb_terminal_get_none(run_cli, terminal, monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert "\x1b" not in run_cli("report", "lenet5").stdout


def test_a_file_is_plain_even_from_a_terminal(run_cli, terminal, tmp_path):
    target = tmp_path / "r.txt"
    result = run_cli("report", "lenet5", "-o", str(target))
    assert result.exit_code == 0 and "\x1b" not in target.read_text()


def test_progress_shows_on_a_terminal_only(run_cli, monkeypatch):
    models = ("compare", "lenet5", "alexnet", "mobilenetv1")
    assert run_cli(*models).stderr == ""            # stderr piped: no bar
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm")
    shown = strip_styles(run_cli(*models).stderr)
    assert "compare" in shown and "mobilenetv1" in shown and "/3" in shown


def test_memory_measure_shows_its_steps(run_cli, terminal):
    shown = strip_styles(run_cli("memory", "lenet5", "--measure").stderr)
    assert "memory of lenet5" in shown and "measuring the forward pass" in shown


def test_reproduce_says_what_it_wrote(run_cli, tmp_path, terminal):
    result = run_cli("reproduce", "depthwise-separable-cost", "-o", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout == f"wrote 1 report in {tmp_path}\n"
    assert "reproduce" in strip_styles(result.stderr)    # the bar, on the terminal's stderr


@pytest.mark.parametrize("name", ["r.json", "r.md", "r.csv"])
def test_writing_a_file_says_so_on_stderr(run_cli, tmp_path, name):
    target = tmp_path / name
    result = run_cli("report", "lenet5", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == f"wrote {target} ({fmt_bytes(target.stat().st_size)})\n"


def test_a_closed_pipe_ends_quietly_with_141():
    """`costlab list | head -0`: the reader is gone before costlab writes (its read end is
    closed first, so the write fails every time); 141 is what shells report for SIGPIPE, and
    never 1, which means "a cost grew"."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    try:
        done = subprocess.run([sys.executable, "-m", "costlab", "list"], stdout=write_end,
                              stderr=subprocess.PIPE, env=env, timeout=120, check=False)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, b"")


def test_sources_print_by_citation_with_the_id_in_a_footnote(run_cli):
    out = run_cli("report", "mobilenetv2", "--format", "markdown").stdout
    assert "| Lee, Table 4 " in out and "| Dominguez, Table 11 " in out
    assert "| 000 Table 4" not in out
    assert "Lee = document 000: D. Lee (Inha University), slides (Korean)" in out


def test_report_tree_rows_nest_and_parents_hold_their_children(run_cli):
    import json
    data = json.loads(run_cli("report", "mobilenetv2", "--depth", "2", "--tree",
                              "--format", "json").stdout)
    rows = {r["layer"]: r for r in data["layers"]}
    assert data["tree"] is True
    # MobileNetV2's first t=6 block at 112x112, c 16 -> 24, stride 2 (Table 2), by hand:
    expand = 112 * 112 * 16 * 96          # 1x1, 16 -> 96 channels
    depthwise = 56 * 56 * 96 * 3 * 3      # 3x3 stride 2, one filter per channel
    project = 56 * 56 * 96 * 24           # 1x1, 96 -> 24 channels
    assert rows["bottleneck2.0"]["macs"] == expand + depthwise + project == 29_202_432
    assert rows["bottleneck2.0"]["depth"] == 2 and rows["bottleneck2"]["depth"] == 1
    order = [r["layer"] for r in data["layers"]]
    assert order.index("bottleneck2") < order.index("bottleneck2.0") < order.index("bottleneck3")
    top = sum(r["macs"] for r in data["layers"] if r["depth"] == 1)
    assert top == data["totals"]["macs"]


def test_tree_in_markdown_keeps_its_indentation(run_cli):
    out = run_cli("report", "mobilenetv2", "--depth", "3", "--tree", "--format",
                  "markdown").stdout
    assert "| ├─0 " in out and "| │\u00a0\u00a0├─expand " in out


def test_tree_does_not_mix_with_top(run_cli):
    result = run_cli("report", "lenet5", "--tree", "--top", "3")
    assert result.exit_code == 2 and "--tree" in result.stderr


def test_check_with_json_on_stdout_says_its_verdict_on_stderr(run_cli, tmp_path, monkeypatch):
    import json
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run_cli("snapshot", "lenet5").exit_code == 0
    result = run_cli("check", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["ok"] is True
    assert result.stderr == "costlab check: ok\n"


def test_a_model_of_one_module_is_its_own_tree(run_cli):
    import json
    args = ("report", "torch.nn:Linear", "--set", "in_features=8", "--set", "out_features=4",
            "--input", "1x8", "--tree")
    assert "(root)  Linear" in run_cli(*args).stdout
    (row,) = json.loads(run_cli(*args, "--format", "json").stdout)["layers"]
    assert (row["layer"], row["depth"], row["macs"]) == ("(root)", 0, 8 * 4)   # in x out


def test_tree_needs_a_depth_of_one_or_more(run_cli):
    result = run_cli("report", "lenet5", "--depth", "0", "--tree")
    assert result.exit_code == 2 and "--depth 1" in result.stderr


def test_the_whole_tree_fits_80_columns(run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = run_cli("report", "mobilenetv2", "--tree").stdout
    assert max(map(len, out.splitlines())) <= 80
    assert "│\u00a0\u00a0│\u00a0\u00a0├─conv" in out        # depth 4: bottleneck2.0.expand.conv
