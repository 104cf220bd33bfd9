"""`costlab.testing.assert_within_budget`: a model test that fails with the numbers."""

from __future__ import annotations

import pytest
from torch import nn

from costlab.ci.testing import assert_within_budget
from costlab.errors import ConfigError, LockfileError, OptionError
from tests.conftest import TOY_SPEC
from tests.formulas import lenet5_macs, mobilenetv2_row_macs, torch_stage_params, toy_macs


def test_within_budget_returns_the_measurement():
    macs = lenet5_macs()    # by hand: a budget of exactly the cost holds
    measured = assert_within_budget("lenet5", max_macs=macs, max_params="62K")
    assert measured.values["macs"] == macs and measured.name == "lenet5"
    with pytest.raises(AssertionError, match=f"macs {macs:,} is over its budget"):
        assert_within_budget("lenet5", max_macs=macs - 1)


def test_over_budget_message_has_numbers_budget_and_largest_stage():
    # by hand: Table 2's rows on the spec's stages with weights (pooling, flatten and
    # dropout have no MACs)
    rows = iter(mobilenetv2_row_macs(0.5))
    stages = {name: next(rows) if owned else 0
              for name, owned in torch_stage_params("mobilenetv2", alpha=0.5).items()}
    macs = sum(stages.values())
    largest = max(stages, key=lambda name: stages[name])
    with pytest.raises(AssertionError) as caught:
        assert_within_budget("mobilenetv2:alpha=0.5", max_macs="90M")
    assert str(caught.value) == (
        "mobilenetv2:alpha=0.5 costs more than allowed:\n"
        f"  macs {macs:,} is over its budget of 90,000,000 by {macs - 90_000_000:,} "
        f"({(macs - 90_000_000) / 90_000_000:+.2%})\n"
        f"  largest stage {largest}: {stages[largest]:,} macs")


def test_growth_since_a_baseline_names_the_stage(tmp_path, run_cli, monkeypatch):
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "toy.yaml"
    spec.write_text(TOY_SPEC.lstrip())
    monkeypatch.chdir(tmp_path)
    assert run_cli("snapshot", "toy", "-o", "base.json").exit_code == 0
    assert_within_budget("toy", baseline="base.json")
    old = toy_macs()                     # by hand, and ten more outputs of the 32-feature
    new = old + 10 * 32                  # linear layer
    spec.write_text(TOY_SPEC.replace("{op: linear, out: num_classes}",
                                     "{op: linear, out: 20}").lstrip())
    with pytest.raises(AssertionError) as caught:
        assert_within_budget("toy", baseline="base.json")
    message = str(caught.value)
    assert f"macs {old:,} -> {new:,} (+{(new - old) / old * 100:.2f}%), past the 0% " \
           "tolerance" in message
    assert "grew most in linear1: macs 320 -> 640 (+100.0%)" in message
    assert_within_budget("toy", baseline="base.json", tolerance=2)   # macs +0.02%, params +1.06%


def test_any_module():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1))
    measured = assert_within_budget(net, inputs=[(1, 3, 16, 16)],
                                    max_macs=16 * 16 * 8 * 3 * 9 + 16 * 16 * 8 * 8 * 9)
    assert measured.values["params"] == (8 * 3 * 9 + 8) + (8 * 8 * 9 + 8)
    with pytest.raises(AssertionError, match=r"largest stage 2: 147,456 macs"):
        assert_within_budget(net, inputs=[(1, 3, 16, 16)], max_macs=1000)


def test_usage_mistakes_are_costlab_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'max_mac'"):
        assert_within_budget("lenet5", max_mac=1)
    with pytest.raises(OptionError, match="needs a limit"):
        assert_within_budget("lenet5")
    with pytest.raises(LockfileError, match="cannot read lock file"):
        assert_within_budget("lenet5", baseline=tmp_path / "none.json")
