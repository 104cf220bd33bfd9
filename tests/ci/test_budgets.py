"""`[tool.costlab]` in pyproject.toml: budgets in exact integers, defaults, and clear errors."""

from __future__ import annotations

import textwrap

import pytest

from costlab.analyses.metrics import counted_metrics
from costlab.ci.budgets import budget_amount, find_pyproject, load_config
from costlab.errors import ConfigError


@pytest.mark.parametrize("value, expected", [
    (310_000_000, 310_000_000),
    ("310M", 310_000_000),
    ("3.5M", 3_500_000),
    ("300.774272M", 300_774_272),
    ("12 MB", 12_000_000),
    ("9.6MB", 9_600_000),
    ("401.408kB", 401_408),
    ("8MiB", 8 * 1024 * 1024),
    ("2G", 2_000_000_000),
    ("1.5B", 1_500_000_000),                # a billion, as in a spec's published figure
    (3.5e6, 3_500_000),
])
def test_amounts(value, expected):
    assert budget_amount(value, "here") == expected


@pytest.mark.parametrize("value, words", [
    ("310X", "cannot read '310X'"),
    ("3.5Mb", "cannot read '3.5Mb'"),       # megabits? refused rather than guessed
    ("1.0000001M", "is not a whole number"),
    (2.5, "is not a whole number"),
    (-1, "cannot be negative"),
    (True, "expected a number"),
    ([1], "expected a number"),
])
def test_bad_amounts(value, words):
    with pytest.raises(ConfigError, match=words):
        budget_amount(value, "here")


def test_every_counted_metric_has_a_budget_key(tmp_path):
    config = _pyproject(tmp_path, "[tool.costlab.budgets.mobilenetv2]\n" + "".join(
        f"max_{m.key} = {i}\n" for i, m in enumerate(counted_metrics())))
    assert load_config(config).budgets[0].limits == {
        m.key: i for i, m in enumerate(counted_metrics())}
    assert {"macs", "flops", "params", "peak_bytes", "largest_tensor_bytes"} <= {
        m.key for m in counted_metrics()}


def _pyproject(tmp_path, body: str):
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n\n" + textwrap.dedent(body))
    return path


def test_defaults_without_a_table(tmp_path):
    config = load_config(_pyproject(tmp_path, ""))
    assert config.lockfile == tmp_path / "costlab.lock.json"
    assert (config.tolerance_pct, str(config.params), str(config.dtype)) == (0.0, "torch", "fp32")
    assert config.budgets == ()


def test_a_full_table(tmp_path):
    config = load_config(_pyproject(tmp_path, """
        [tool.costlab]
        lockfile = "ci/cost.json"
        tolerance = 0.5
        params = "weights"
        dtype = "fp16"

        [tool.costlab.budgets.mobilenetv2]
        max_macs = "301M"
        max_params = 3_600_000

        [tool.costlab.budgets."mobilenetv2:alpha=0.5"]
        max_peak_bytes = "5MB"
    """))
    assert config.lockfile == tmp_path / "ci" / "cost.json"
    assert (config.tolerance_pct, str(config.params), str(config.dtype)) == (0.5, "weights",
                                                                             "fp16")
    assert [(b.model, dict(b.limits)) for b in config.budgets] == [
        ("mobilenetv2", {"macs": 301_000_000, "params": 3_600_000}),
        ("mobilenetv2:alpha=0.5", {"peak_bytes": 5_000_000})]


@pytest.mark.parametrize("body, words", [
    ("[tool.costlab]\nlockfiel = 'x'\n", "[tool.costlab]: unknown key 'lockfiel'"),
    ("[tool.costlab.budgets.mobilenetv2]\nmax_mac = 1\n",
     "[tool.costlab.budgets.mobilenetv2]: unknown key 'max_mac'; a budget's keys are max_macs"),
    ("[tool.costlab.budgets.\"a:b=1\"]\nmax_macs = '1Q'\n",
     "[tool.costlab.budgets.\"a:b=1\"] max_macs: cannot read '1Q'"),
    ("[tool.costlab]\ntolerance = -2\n", "tolerance must be a percentage of at least 0"),
    ("[tool.costlab]\nparams = 'tf'\n", "unknown parameter convention 'tf'"),
    ("[tool.costlab]\nbudgets = 3\n", "[tool.costlab.budgets]: expected a table"),
    ("[tool.costlab\n", "not valid TOML"),
])
def test_config_mistakes_name_the_key(tmp_path, body, words):
    path = _pyproject(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(str(path)) and words in str(caught.value)


def test_the_nearest_pyproject_is_found(tmp_path):
    path = _pyproject(tmp_path, "")
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    assert find_pyproject(tmp_path / "src" / "pkg") == path.resolve()
