"""`costlab compare`: models side by side, ratios against the first, stages lined up."""

from __future__ import annotations

import csv
import io
import json

import pytest

from costlab.analyses.compare import compare, line_up_stages
from costlab.analyses.metrics import default_metrics
from costlab.errors import OptionError
from costlab.spec.variants import parse_variant
from tests.formulas import (
    alexnet_macs,
    lenet5_macs,
    mobilenetv1_macs,
    mobilenetv2_largest_elements,
    mobilenetv2_macs,
    mobilenetv2_peak_elements,
    mobilenetv2_row_macs,
    mobilenetv2_weights,
    torch_stage_params,
    vgg16_macs,
)


def _ratio(value: int, base: int) -> str:
    return f"{value / base:.2f}x"


# ShuffleNet 1x (g = 3) has no hand formula here: fvcore.nn.FlopCountAnalysis's conv + linear
# count of the built model (136,500,672 + 960,000), which tests/count/test_fvcore.py compares
# with costlab's module by module.
SHUFFLENET_MACS = 137_460_672


def test_three_architectures_with_ratios_against_the_first(run_cli):
    result = run_cli("compare", "mobilenetv1", "mobilenetv2", "shufflenetv1")
    assert result.exit_code == 0
    out = result.stdout
    macs = {"mobilenetv1": mobilenetv1_macs(), "mobilenetv2": sum(mobilenetv2_macs().values()),
            "shufflenetv1": SHUFFLENET_MACS}
    params = {name: sum(torch_stage_params(name).values()) for name in macs}  # the torch way
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split() and line.split()[0] in macs}
    assert rows["mobilenetv1"][1:3] == ["568.74M", "1.00x"]
    for name in ("mobilenetv2", "shufflenetv1"):
        assert rows[name][2] == _ratio(macs[name], macs["mobilenetv1"])
        assert rows[name][6] == _ratio(params[name], params["mobilenetv1"])
    assert "ratios against mobilenetv1" in out and "memory at fp32" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_width_sweep_labels_rows_by_the_parameter_that_varies(run_cli):
    widths = ("0.35", "0.75", "1.4")
    result = run_cli("compare", *(f"mobilenetv2:alpha={a}" for a in widths))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "mobilenetv2 at resolution=224, num_classes=1000, rounding=make_divisible"
    base = sum(mobilenetv2_macs(0.35).values())      # by hand, with the reference rounding
    for alpha in widths:
        row = next(line.split() for line in lines if line.startswith(f"alpha={alpha} "))
        assert row[2] == _ratio(sum(mobilenetv2_macs(float(alpha)).values()), base)
    assert max(len(line) for line in lines) <= 100


def test_json_carries_exact_values_ratios_and_differences(run_cli):
    result = run_cli("compare", "mobilenetv2", "mobilenetv2:alpha=0.5", "--dtype", "fp16",
                     "--params", "weights", "--format", "json")
    data = json.loads(result.stdout)
    assert data["baseline"] == "mobilenetv2"
    assert data["conventions"] == {"params": "weights", "dtype": "fp16"}
    assert set(data["metrics"]) == {m.key for m in default_metrics()}
    full, half = data["models"]
    for row, alpha in ((full, 1.0), (half, 0.5)):     # by hand from Table 2; fp16: 2 bytes
        assert row["macs"] == sum(mobilenetv2_macs(alpha).values())
        assert row["flops"] == 2 * sum(mobilenetv2_macs(alpha).values())
        assert row["params"] == mobilenetv2_weights(alpha)
        # the peak: the first stride-2 row's expansion batch norm, its input and output live
        assert row["peak_bytes"] == 2 * mobilenetv2_peak_elements(alpha)
        assert row["largest_tensor_bytes"] == 2 * mobilenetv2_largest_elements(alpha)
    assert half["macs_ratio"] == sum(mobilenetv2_macs(0.5).values()) \
        / sum(mobilenetv2_macs(1.0).values())
    assert half["peak_bytes_ratio"] == mobilenetv2_peak_elements(0.5) \
        / mobilenetv2_peak_elements(1.0)
    assert half["params_difference"] == mobilenetv2_weights(0.5) - mobilenetv2_weights(1.0)
    assert {m.key: full[f"{m.key}_ratio"] for m in default_metrics()} == {
        m.key: 1.0 for m in default_metrics()}


def test_every_metric_is_a_column_in_markdown_and_csv(run_cli):
    markdown = run_cli("compare", "lenet5", "alexnet", "--format", "markdown").stdout
    header = next(line for line in markdown.splitlines() if line.startswith("| model"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == ["model"] + [
        part for m in default_metrics() for part in (m.label, "ratio")]
    table = list(csv.DictReader(io.StringIO(run_cli("compare", "lenet5", "alexnet",
                                                    "--format", "csv").stdout)))
    assert [row["label"] for row in table] == ["lenet5", "alexnet"]
    assert int(table[1]["macs"]) == alexnet_macs()                  # by hand
    assert float(table[0]["params_ratio"]) == 1.0
    assert float(table[1]["macs_ratio"]) == alexnet_macs() / lenet5_macs()


def test_shared_settings_apply_to_every_model_and_inline_ones_win(run_cli):
    data = json.loads(run_cli("compare", "mobilenetv2", "mobilenetv2:resolution=128",
                              "--set", "resolution=160", "--alpha", "0.75",
                              "--format", "json").stdout)
    configs = [(m["config"]["alpha"], m["config"]["resolution"]) for m in data["models"]]
    assert configs == [(0.75, 160), (0.75, 128)]
    # inline settings first, then the shared ones in option order
    assert [m["name"] for m in data["models"]] == [
        "mobilenetv2:alpha=0.75,resolution=160", "mobilenetv2:resolution=128,alpha=0.75"]


def test_sort_orders_rows_but_keeps_the_baseline():
    result = compare([parse_variant(v) for v in ("vgg16", "lenet5", "mobilenetv2")], sort="macs")
    assert [row.name for row in result.rows] == ["lenet5", "mobilenetv2", "vgg16"]
    assert result.baseline.name == "vgg16"
    assert result.ratio(result.rows[0], "macs") == lenet5_macs() / vgg16_macs()
    with pytest.raises(OptionError, match="cannot sort by 'speed'"):
        compare([parse_variant("lenet5")], sort="speed")


def test_per_stage_lines_up_one_family(run_cli):
    result = run_cli("compare", "mobilenetv2", "mobilenetv2:alpha=0.5", "--per-stage",
                     "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["models"] == {"1": "mobilenetv2", "2": "mobilenetv2:alpha=0.5"}
    for alpha, index in ((1.0, 1), (0.5, 2)):
        params = torch_stage_params("mobilenetv2", alpha=alpha)   # the built module's children
        assert [s["stage"] for s in data["stages"]] == list(params)
        assert [s[f"params_{index}"] for s in data["stages"]] == list(params.values())
        # Table 2's rows by hand, in order, on the stages with weights (pooling and flatten
        # have no MACs)
        rows = iter(mobilenetv2_row_macs(alpha))
        assert [s[f"macs_{index}"] for s in data["stages"]] == [
            next(rows) if owned else 0 for owned in params.values()]
        assert next(rows, None) is None
    linear = next(s for s in data["stages"] if s["stage"] == "linear1")
    assert linear["macs_2_ratio"] == 1.0     # 1280 x 1000 at either width: never reduced
    table = run_cli("compare", "mobilenetv2", "mobilenetv2:alpha=0.5", "--per-stage").stdout
    assert "[2] mobilenetv2:alpha=0.5" in table
    assert max(len(line) for line in table.splitlines()) <= 100


def test_per_stage_shows_the_stage_figures_of_the_metrics_asked_for(run_cli):
    only_macs = run_cli("compare", "lenet5", "lenet5:num_classes=20", "--per-stage",
                        "--metrics", "macs", "--format", "csv")
    assert only_macs.exit_code == 0
    assert only_macs.stdout.splitlines()[0] == "stage,macs_1,macs_2,macs_2_ratio"
    result = run_cli("compare", "lenet5", "lenet5:num_classes=20", "--per-stage",
                     "--metrics", "peak_bytes")
    assert result.exit_code == 2 and result.stderr.strip() == (
        "costlab: error: --per-stage compares macs, params per stage; none of peak_bytes has "
        "a per-stage figure")


def test_per_stage_refuses_other_families(run_cli):
    result = run_cli("compare", "mobilenetv1", "mobilenetv2", "--per-stage")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "costlab: error: cannot line up the stages of mobilenetv1 and mobilenetv2: stage 2 is "
        "dwsep1 in one and bottleneck1 in the other; --per-stage compares variants of one "
        "family")
    rows = compare([parse_variant("lenet5"), parse_variant("lenet5")]).rows
    # LeNet-5's eight layers (C1, S2, C3, S4, C5, flatten, F6, output) as torch builds them
    assert [path for path, _ in line_up_stages(rows)] == list(torch_stage_params("lenet5"))


def test_import_paths_compare_too(run_cli):
    result = run_cli("compare", "torch.nn:Linear:in_features=512,out_features=10",
                     "torch.nn:Linear:in_features=512,out_features=100", "--input", "8x512",
                     "--format", "json")
    small, large = json.loads(result.stdout)["models"]
    assert small["macs"] == 8 * 512 * 10
    assert large["macs_ratio"] == 10.0


def test_output_is_deterministic(run_cli, tmp_path):
    target = tmp_path / "out.md"
    args = ["compare", "mobilenetv2", "shufflenetv1", "--format", "markdown"]
    assert run_cli(*args, "-o", str(target)).exit_code == 0
    assert target.read_text() == run_cli(*args).stdout


@pytest.mark.parametrize("args, words", [
    (["compare", "mobilenetv2:alpha=9"], "alpha=9.0 is above its maximum"),
    (["compare", "mobilenetv9"], "unknown model 'mobilenetv9'"),
    (["compare", "mobilenetv2", "--sort", "speed"], "Invalid value for '--sort'"),
    (["compare", "mobilenetv2:=1"], "bad setting '=1'"),
    (["compare"], "Missing argument"),
])
def test_compare_mistakes_are_one_line(run_cli, args, words):
    result = run_cli(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr


def test_csv_has_one_column_per_setting(run_cli):
    table = list(csv.DictReader(io.StringIO(run_cli(
        "compare", "mobilenetv2", "mobilenetv2:alpha=0.5,resolution=160", "--format",
        "csv").stdout)))
    assert [(r["setting_alpha"], r["setting_resolution"]) for r in table] == [
        ("1.0", "224"), ("0.5", "160")]
