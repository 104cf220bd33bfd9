"""The command line, as a user meets it: output, formats, and one-line errors with exit 2."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TOY_SPEC
from tests.formulas import mobilenetv2_macs


def test_report_mobilenetv2_table(run_cli):
    result = run_cli("report", "mobilenetv2")
    assert result.exit_code == 0
    out = result.stdout
    assert "300,774,272" in out and "300.77M" in out
    assert "bottleneck2.0.depthwise.conv" in out and "3x3 s2 dw" in out
    assert "unsupported ops: none" in out
    assert max(len(line) for line in out.splitlines()) <= 100


@pytest.mark.parametrize("command", ["report", "memory"])
@pytest.mark.parametrize("name", ["nasnet_a_mobile", "mobilenetv2_standard_001"])
def test_terminal_output_fits_100_columns(run_cli, command, name):
    # the longest module paths (NASNet cells) and the longest configuration line
    out = run_cli(command, name).stdout
    assert max(len(line) for line in out.splitlines()) <= 100


def test_report_json_has_the_documented_keys(run_cli):
    result = run_cli("report", "mobilenet_v2", "--alpha", "0.5", "--format", "json",
                     "--params", "weights")
    data = json.loads(result.stdout)
    assert {"model", "config", "conventions", "totals", "layers", "unsupported_ops"} <= set(data)
    assert data["config"]["alpha"] == 0.5 and data["conventions"]["params"] == "weights"
    totals = data["totals"]
    assert all(isinstance(totals[k], int) for k in ("macs", "flops", "params"))
    hand = mobilenetv2_macs(0.5)                                      # by hand, Table 2
    assert totals["macs"] == sum(hand.values())
    assert totals["flops"] == 2 * totals["macs"]
    # the layer rows as printed, against the hand formula rather than the totals (which the
    # engine sums from the same rows): every layer is there, and the depthwise rows carry the
    # depthwise MACs
    layers = data["layers"]
    assert sum(row["macs"] for row in layers) == sum(hand.values())
    assert sum(row["macs"] for row in layers if (row["groups"] or 1) > 1) == hand["depthwise"]


@pytest.mark.parametrize("fmt, marker", [("markdown", "|:--"), ("csv", "layer,type,input_shape"),
                                          ("latex", "\\toprule")])
def test_other_formats(run_cli, fmt, marker):
    result = run_cli("report", "mobilenetv1", "--format", fmt, "--depth", "1")
    assert result.exit_code == 0 and marker in result.stdout


def test_output_is_deterministic_and_written_to_file(run_cli, tmp_path):
    target = tmp_path / "v1.md"
    result = run_cli("report", "mobilenetv1", "--format", "markdown", "-o", str(target))
    assert result.exit_code == 0
    again = run_cli("report", "mobilenetv1", "--format", "markdown").stdout
    assert target.read_text() == again


def test_report_on_an_import_path(run_cli):
    result = run_cli("report", "torch.nn:Linear", "--set", "in_features=512",
                     "--set", "out_features=10", "--input", "8x512", "--format", "json")
    data = json.loads(result.stdout)
    assert data["totals"]["macs"] == 8 * 512 * 10 and data["totals"]["params"] == 512 * 10 + 10


@pytest.mark.parametrize("command", ["report", "memory"])
def test_inline_settings_are_the_options(run_cli, command):
    inline = run_cli(command, "mobilenetv2:alpha=0.5,resolution=160", "--format", "json")
    options = run_cli(command, "mobilenetv2", "--alpha", "0.5", "--resolution", "160",
                      "--format", "json")
    assert inline.exit_code == 0 and json.loads(inline.stdout) == json.loads(options.stdout)
    assert json.loads(inline.stdout)["config"]["alpha"] == 0.5


def test_report_spec_file(run_cli, write_spec):
    result = run_cli("report", str(write_spec(TOY_SPEC)), "--format", "json")
    assert json.loads(result.stdout)["model"] == "toy"


@pytest.mark.parametrize("args, words", [
    (["report", "mobilenetv9"],
     "unknown model 'mobilenetv9'; did you mean mobilenetv2, mobilenetv1?"),
    (["report", "mobilenetv2", "--alpha", "9"], "alpha=9.0 is above its maximum"),
    (["report", "mobilenetv2", "--format", "xml"], "Invalid value for '--format'"),
    (["report", "mobilenetv2", "--params", "tf"], "Invalid value for '--params'"),
    (["report", "mobilenetv2", "--set", "depth=3"], "has no parameter 'depth'"),
    (["report", "mobilenetv2", "--input", "1x3x224x224"],
     "--input is for import-path and zoo models"),
    (["report", "nosuchpackage.models:net"], "cannot import 'nosuchpackage.models'"),
    (["report", "torch.nn:Embedding", "--set", "num_embeddings=10", "--set", "embedding_dim=4",
      "--input", "2x3:int65"], "bad input type 'int65' in '2x3:int65'; one of float32, "),
    (["report", "mobilenetv2:alpha"], "bad settings 'alpha' for spec 'mobilenetv2'; write them "
                                      "as MODEL:key=value,key=value"),
    (["memory", "mobilenetv2:alpha=7"], "alpha=7.0 is above its maximum 2.0"),
    (["report", "torch.nn:Linear", "--set", "in_features=4", "--set", "out_features=2",
      "--input", "1x5"], "model failed on meta tensors while running aten.addmm.default in module "
                       "'<root>' (Linear)"),
    (["report", "torch.nn:Linear"], "calling torch.nn:Linear() failed: TypeError"),
    (["report", "torch:pi"], "'torch:pi' is not callable"),
    (["report", "mobilenetv2", "--input", "1xAx3"], "bad input shape '1xAx3'"),
])
def test_user_mistakes_give_one_line_and_exit_2(run_cli, args, words):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costlab: error: ")
    assert words in lines[0]


def test_import_path_finds_the_users_module_in_the_working_directory(run_cli, tmp_path,
                                                                     monkeypatch):
    (tmp_path / "my_zoo.py").write_text(
        "from torch import nn\n"
        "def net(width=16):\n"
        "    return nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.ReLU())\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("report", "my_zoo:net", "--set", "width=8", "--resolution", "32",
                     "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["macs"] == 32 * 32 * 8 * 3 * 3 * 3


def test_token_id_inputs_and_their_lock_entry(run_cli, tmp_path, monkeypatch):
    (tmp_path / "tiny_lm.py").write_text(
        "from torch import nn\n"
        "def net(vocab=100, dim=16):\n"
        "    return nn.Sequential(nn.Embedding(vocab, dim), nn.Linear(dim, vocab))\n")
    monkeypatch.chdir(tmp_path)
    args = ["tiny_lm:net", "--input", "2x8:int64"]
    data = json.loads(run_cli("report", *args, "--format", "json").stdout)
    assert data["totals"]["macs"] == 2 * 8 * 16 * 100      # the head on 2 x 8 token vectors
    assert data["config"]["inputs"] == "2x8:int64"
    assert run_cli("snapshot", *args, "-o", "lm.json").exit_code == 0
    assert json.loads((tmp_path / "lm.json").read_text())["entries"]["tiny_lm:net"]["inputs"] \
        == ["2x8:int64"]
    assert run_cli("check", "lm.json").exit_code == 0      # rebuilt with int64 ids again


def test_a_callable_failing_with_a_long_message_gives_one_line(run_cli, tmp_path, monkeypatch):
    (tmp_path / "noisy_zoo.py").write_text(
        "def net():\n    raise ValueError('no such width\\n  hint: one\\n  hint: two')\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("report", "noisy_zoo:net")
    assert result.exit_code == 2
    assert result.stderr == ("costlab: error: calling noisy_zoo:net() failed: ValueError: no "
                             "such width\n")


def test_model_module_failing_at_import_gives_one_line(run_cli, tmp_path, monkeypatch):
    # torchvision built for another torch raises RuntimeError, not ImportError, on import.
    (tmp_path / "broken_zoo.py").write_text("raise RuntimeError('operator x::nms does not "
                                            "exist')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = run_cli("report", "broken_zoo:net")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("costlab: error: cannot import 'broken_zoo' (from "
                                     "'broken_zoo:net'): RuntimeError: operator x::nms does "
                                     "not exist")


def test_broken_spec_gives_file_line_field(run_cli, write_spec):
    path = write_spec(TOY_SPEC.replace("{op: dwsep, c: 32, s: 2}", "{op: dwsep, c: 32, s: -1}"))
    result = run_cli("report", str(path))
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"costlab: error: {path}:9: layers[1]: s must be at least "
                                     "1, got -1")


def test_list_shows_specs(run_cli):
    out = run_cli("list").stdout.splitlines()
    assert any(line.startswith("mobilenetv1 ") for line in out)
    assert any(line.startswith("mobilenetv2 ") and "alpha=1.0" in line for line in out)


def test_unsupported_ops_are_reported_and_strict_fails(run_cli):
    args = ["report", "torch.nn:Hardshrink", "--input", "3x4"]   # an op without a rule
    result = run_cli(*args)
    assert result.exit_code == 0
    assert "unsupported ops (no cost rule, not counted): aten.hardshrink.default x1" in \
        result.stdout
    strict = run_cli(*args, "--strict")
    assert strict.exit_code == 2
    assert "ops without a cost rule: aten.hardshrink.default x1" in strict.stderr


def test_memory_json(run_cli):
    data = json.loads(run_cli("memory", "mobilenetv1", "--dtype", "fp16",
                              "--format", "json").stdout)
    assert {"per_resolution", "activation", "layers", "published"} <= set(data)
    assert {"peak_bytes", "naive_bytes", "bound_bytes", "peak_at"} <= set(data["activation"])
    first = data["per_resolution"][1]          # after the 224 x 224 input: 64 x 112 x 112
    assert {k: first[k] for k in ("height", "width", "channels", "elements", "bytes")} == {
        "height": 112, "width": 112, "channels": 64, "elements": 64 * 112 * 112,
        "bytes": 64 * 112 * 112 * 2}
    # the figures published for the row are the document's records, not a shape of their own
    assert set(first) == {"resolution", "height", "width", "channels", "elements", "bytes",
                          "tensor", "published"}
    assert first["published"] and all(r in data["published"] for r in first["published"])
    assert max(r["bytes"] for r in data["per_resolution"]) == 1_605_632   # the paper's 1600K
    # the first of the largest tensors, 64 x 112 x 112 at 2 bytes, in report and memory alike
    assert data["activation"]["largest_tensor"] == {
        "tensor": "dwsep1.pointwise.conv", "shape": [1, 64, 112, 112],
        "elements": 64 * 112 * 112, "bytes": 64 * 112 * 112 * 2}
    report = json.loads(run_cli("report", "mobilenetv1", "--format", "json").stdout)
    assert report["memory"]["largest_tensor"]["bytes"] == 64 * 112 * 112 * 4      # fp32


def test_memory_training_table(run_cli):
    result = run_cli("memory", "mobilenetv2", "--training", "--optimizer", "momentum",
                     "--view", "bottlenecks")
    assert result.exit_code == 0
    assert "optimizer state (momentum)" in result.stdout
    assert "Dominguez, section 5.1 formula" in result.stdout   # seed 001, cited


def test_memory_training_json_names_the_estimate_for_what_it_is(run_cli):
    training = json.loads(run_cli("memory", "lenet5", "--training", "--format",
                                  "json").stdout)["training"]
    # seed 001's section 5.1 formula, by hand on LeNet-5: 61,706 parameters twice, the widest
    # feature maps (6 + 6) x 28 x 28 = 9,408 (the tanh and pool after conv1) and the largest
    # filter, conv3's 16 x 120 x 5 x 5 + 120 = 48,120, at 4 bytes
    assert training["layer_table_estimate_bytes"] == (2 * 61_706 + 9_408 + 48_120) * 4
    assert "formula_bytes" not in training


def test_memory_judges_table3_in_the_view_shown(run_cli):
    result = run_cli("memory", "mobilenetv2", "--view", "bottlenecks", "--dtype", "fp16")
    # judged in the view shown: 16 x 112 x 112 x 2 = 401,408 bytes is the paper's 400K
    [row] = [line for line in result.stdout.splitlines() if line.startswith("112x112")]
    assert row.split()[1:] == ["16", "401.4", "kB", "bottleneck1", "400K", "rounded"]
    [row] = [line for line in result.stdout.splitlines() if line.startswith("max ")]
    assert "401.4 kB  bottleneck1" in row and row.endswith("400K  rounded")


def test_memory_names_the_view_that_reproduces_a_figure(run_cli):
    out = run_cli("memory", "mobilenetv2", "--view", "blocks", "--dtype", "fp16").stdout
    [row] = [line for line in out.splitlines() if line.startswith("112x112")]
    assert "32" in row.split() and row.endswith("explained (bottlenecks view)")


def test_memory_bad_view(run_cli):
    result = run_cli("memory", "mobilenetv2", "--view", "some")
    assert result.exit_code == 2 and "Invalid value for '--view'" in result.stderr


def test_help_and_list_start_without_torch():
    # `costlab --help` and `costlab list` answer at once: torch (1.5 s to import) and pandas
    # load only for commands that analyze a model. Importing costlab.cli and `--help` load
    # no tabulate either (it reads every installed package's metadata), no yaml or pydantic
    # (the spec loader's, which `list` needs), no rich. A fresh interpreter: nothing loaded.
    import subprocess
    import sys
    code = ("import sys\n"
            "from click.testing import CliRunner\n"
            "from costlab.cli import cli\n"
            "heavy = ('torch', 'pandas', 'tabulate', 'yaml', 'pydantic', 'rich')\n"
            "assert CliRunner().invoke(cli, ['--help']).exit_code == 0\n"
            "print(sorted(m for m in heavy if m in sys.modules))\n"
            "assert CliRunner().invoke(cli, ['list']).exit_code == 0\n"
            "assert CliRunner().invoke(cli, ['report', '--help']).exit_code == 0\n"
            "print(sorted(m for m in ('torch', 'pandas') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "[]"]


def test_list_matches_substrings_aliases_and_globs(run_cli):
    names = [line.split()[0] for line in run_cli("list", "mobile").stdout.splitlines()]
    assert names[:2] == ["mobilenetv1", "mobilenetv2"] and "shufflenetv1" not in names
    assert run_cli("list", "lenet-5").stdout.split()[0] == "lenet5"          # an alias
    assert [line.split()[0] for line in run_cli("list", "res*").stdout.splitlines()] == [
        "resnet18"]
    missing = run_cli("list", "mobilnet")
    assert missing.exit_code == 2 and missing.stdout == ""
    assert missing.stderr.strip().startswith("costlab: error: no spec matches 'mobilnet'; did "
                                             "you mean mobilenetv2, mobilenetv1")


def test_table3_verdicts_only_under_the_papers_conditions(run_cli):
    """Table 3 printed 16-bit figures for one image: at fp32 (the default of every command)
    or another batch, the bytes are not its figures and the verdict says so."""
    default = run_cli("memory", "mobilenetv2", "--view", "bottlenecks").stdout
    row = next(line for line in default.splitlines() if line.startswith("112x112"))
    assert "802.8 kB" in row and row.endswith("not comparable (batch 1, fp32)")
    batched = run_cli("memory", "mobilenetv2", "--view", "bottlenecks", "--dtype", "fp16",
                      "--batch", "32").stdout
    row = next(line for line in batched.splitlines() if line.startswith("112x112"))
    assert row.endswith("not comparable (batch 32, fp16)")
    assert "not comparable (batch 32; published for one image)" in " ".join(batched.split())
    report = run_cli("report", "mobilenetv2", "--depth", "1").stdout
    assert "activations at fp32" in default
    assert "fp32" in next(line for line in report.splitlines() if line.startswith("peak mem"))


def test_top_summary_and_totals_below_long_tables(run_cli):
    top = run_cli("report", "mobilenetv2", "--top", "2").stdout
    assert "the 2 costliest of 152 layers, by MACs" in top
    rows = [line.split() for line in top.splitlines() if line.startswith(("conv2.conv",
                                                                         "bottleneck2.0.exp"))]
    # the last 1x1 conv, 7x7x1280 outputs of 320 inputs; then the first expansion,
    # 112x112x96 outputs of 16 inputs
    assert [r[0] for r in rows] == ["conv2.conv", "bottleneck2.0.expand.conv"]
    assert [r[-2] for r in rows] == [f"{7 * 7 * 1280 * 320:,}", f"{112 * 112 * 96 * 16:,}"]
    summary = run_cli("report", "mobilenetv2", "--summary").stdout
    assert "300,774,272" in summary and "layer " not in summary and "op class" not in summary
    full = run_cli("report", "mobilenetv2").stdout.splitlines()
    assert full[-1] == "total: 300,774,272 MACs, 3,504,872 params (torch)"


def test_shell_completion_offers_model_names():
    # click's completion protocol, as bash's `complete` hook calls it
    import os
    import subprocess
    import sys
    env = {**os.environ, "_COSTLAB_COMPLETE": "bash_complete",
           "COMP_WORDS": "costlab compare mobilenetv1 mobi", "COMP_CWORD": "3"}
    out = subprocess.run([sys.executable, "-m", "costlab"], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["plain,mobilenetv1", "plain,mobilenetv2", "plain,mobilenetv2_reduced_001",
                   "plain,mobilenetv2_standard_001"]
    env["COMP_WORDS"], env["COMP_CWORD"] = "costlab report t", "2"
    out = subprocess.run([sys.executable, "-m", "costlab"], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["plain,torchvision:", "plain,timm:"]
