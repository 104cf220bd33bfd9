"""`costlab report --training` and `compare --training`, run as a new user would."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from costlab.render.data import schema_for

ROOT = Path(__file__).resolve().parents[2]
CONV1 = 112 * 112 * 32 * 3 * 3 * 3          # MobileNetV2's first conv: 10,838,016 MACs


@pytest.fixture(scope="module")
def mobilenetv2_json() -> dict:
    from click.testing import CliRunner

    from costlab.cli import cli
    result = CliRunner().invoke(cli, ["report", "mobilenetv2", "--training", "--format",
                                      "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_mobilenetv2_training_totals(mobilenetv2_json):
    totals = mobilenetv2_json["totals"]
    assert totals["macs"] == 300_774_272
    assert totals["backward_macs"] == 2 * 300_774_272 - CONV1
    assert totals["training_macs"] == 3 * 300_774_272 - CONV1
    training = mobilenetv2_json["training"]
    assert training["forward_macs"] == 300_774_272
    assert training["backward_input_macs"] == 300_774_272 - CONV1   # the image needs none
    assert training["backward_weight_macs"] == 300_774_272
    assert training["trainable_params"] == totals["params"] and training["frozen"] == []
    assert "input_gradients" in training["conventions"]


def test_mobilenetv2_layer_by_layer_depthwise_included(mobilenetv2_json):
    rows = [r for r in mobilenetv2_json["layers"] if r["macs"]]
    assert rows[0]["layer"] == "conv1.conv"
    assert (rows[0]["backward_input_macs"], rows[0]["backward_weight_macs"]) == (0, CONV1)
    depthwise = 0
    for row in rows[1:]:
        assert row["backward_input_macs"] == row["backward_weight_macs"] == row["macs"], row
        depthwise += row["groups"] is not None and row["groups"] > 1
    assert depthwise == 17
    assert sum(r["backward_input_macs"] + r["backward_weight_macs"]
               for r in mobilenetv2_json["layers"]) == 2 * 300_774_272 - CONV1


def test_the_terminal_report_prints_the_conventions(run_cli):
    out = run_cli("report", "mobilenetv1", "--alpha", "0.25", "--resolution", "128",
                  "--training").stdout
    for words in ("training MACs", "input gradients", "weight gradients",
                  "the first layer (the model's input needs none)",
                  "groups handled in both", "optimizer step (adam)"):
        assert words in " ".join(out.split()), words


def test_gpt2_training_macs_beside_six_n_t(run_cli, monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.chdir(ROOT)   # tests.fixtures.decoders is found as `python -m` would find it
    result = run_cli("report", "tests.fixtures.decoders:gpt2", "--input", "1x128:int64",
                     "--training", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, schema_for("report"))
    assert data["totals"]["training_macs"] == 48_342_269_952
    rule = data["rule_of_thumb"]
    assert (rule["params"], rule["tokens"]) == (124_439_808, 128)
    assert rule["rule_flops"] == 6 * 124_439_808 * 128 == 2 * rule["rule_macs"]
    assert rule["gap_macs"] == 48_342_269_952 - 3 * 124_439_808 * 128
    terms = ("attention_macs", "lm_head_macs", "embedding_macs", "vector_macs", "other_macs")
    assert sum(rule[key] for key in terms) == rule["gap_macs"]
    assert rule["attention_macs"] == 6 * 12 * 128 * 128 * 768      # Q K^T, P V: fwd + 2 x bwd
    text = run_cli("report", "tests.fixtures.decoders:gpt2", "--input", "1x128:int64",
                   "--training").stdout
    assert "6·N·T rule of thumb" in text and "attention products" in text


def test_freezing_from_the_command_line(run_cli):
    data = json.loads(run_cli("report", "mobilenetv2", "--training", "--freeze", "conv1.*",
                              "--freeze", "bottleneck1.*", "--optimizer", "sgd",
                              "--format", "json").stdout)
    # frozen: conv1 (weight gradient, 10,838,016), bottleneck1's depthwise (3,612,672 each
    # way) and projection (6,422,528 each way), and bottleneck2's expansion's input gradient
    # (19,267,584): nothing before it needs one any more
    dropped = CONV1 + 2 * 112 * 112 * 32 * 9 + 2 * 112 * 112 * 16 * 32 + 112 * 112 * 96 * 16
    assert data["totals"]["backward_macs"] == 2 * 300_774_272 - CONV1 - dropped   # 540,534,528
    frozen = 32 * 27 + 2 * 32 + 32 * 9 + 2 * 32 + 16 * 32 + 2 * 16      # conv1 + bottleneck1
    assert data["training"]["trainable_params"] == data["totals"]["params"] - frozen
    assert data["training"]["optimizer_elementwise"] == 2 * (data["totals"]["params"] - frozen)


@pytest.mark.parametrize("args, message", [
    (["--freeze", "conv1.*"], "--freeze models fine-tuning: add --training"),
    (["--training", "--freeze", "stem.*"],
     "--freeze 'stem.*' matches no parameter; names look like 'conv1.conv.weight'"),
])
def test_bad_training_options_are_one_line(run_cli, args, message):
    result = run_cli("report", "mobilenetv2", *args)
    assert result.exit_code == 2 and result.stderr == f"costlab: error: {message}\n"


def test_compare_training_columns(run_cli):
    data = json.loads(run_cli("compare", "mobilenetv2", "mobilenetv2:alpha=0.5", "--training",
                              "--format", "json").stdout)
    rows = data["models"]
    assert rows[0]["backward_macs"] == 2 * 300_774_272 - CONV1
    assert rows[0]["training_macs"] == 3 * 300_774_272 - CONV1
    half = 112 * 112 * 16 * 3 * 9                  # alpha 0.5: a 16-channel first conv
    assert rows[1]["backward_macs"] == 2 * rows[1]["macs"] - half
    assert "macs" in rows[0] and "peak_bytes" in rows[0]    # the defaults stay
