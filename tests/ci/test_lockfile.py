"""The lock file: deterministic bytes, everything needed to recompute, and clear errors."""

from __future__ import annotations

import json

import pytest

import costlab
from costlab.analyses.metrics import counted_metrics, default_metrics
from costlab.ci.lockfile import dump_lock, load_lock, snapshot
from costlab.errors import LockfileError
from costlab.spec.variants import parse_variant
from tests.formulas import (
    mobilenetv2_largest_elements,
    mobilenetv2_macs,
    mobilenetv2_peak_elements,
    mobilenetv2_row_macs,
    torch_stage_params,
    toy_macs,
)

MODELS = ("lenet5", "mobilenetv2:alpha=0.5,resolution=96")


@pytest.fixture(scope="module")
def lock_text() -> str:
    return dump_lock(snapshot([parse_variant(m) for m in MODELS]))


def test_snapshot_is_byte_identical_across_runs(run_cli, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, second):
        result = run_cli("snapshot", *MODELS, "-o", str(path))
        assert result.exit_code == 0 and "2 models" in result.stdout
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text()
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_entries_record_config_conventions_version_and_stages(lock_text):
    data = json.loads(lock_text)
    assert data["costlab_version"] == costlab.__version__
    assert data["conventions"]["params"] == "torch" and data["conventions"]["dtype"] == "fp32"
    entry = data["entries"]["mobilenetv2:alpha=0.5,resolution=96"]
    assert entry["model"] == "mobilenetv2" and entry["settings"] == {"alpha": 0.5,
                                                                      "resolution": 96}
    assert entry["config"] == {"alpha": 0.5, "resolution": 96, "num_classes": 1000,
                               "rounding": "make_divisible"}
    assert entry["input_shapes"] == ["1x3x96x96"]
    assert set(entry["metrics"]) == {m.key for m in counted_metrics(default_metrics())}
    params = torch_stage_params("mobilenetv2", alpha=0.5, resolution=96)   # torch's count
    macs = sum(mobilenetv2_macs(0.5, 96).values())                        # by hand, Table 2
    expected = {"macs": macs, "flops": 2 * macs, "params": sum(params.values()),
                "peak_bytes": 4 * mobilenetv2_peak_elements(0.5, 96),       # fp32
                "largest_tensor_bytes": 4 * mobilenetv2_largest_elements(0.5, 96)}
    assert {key: entry["metrics"][key] for key in expected} == expected
    # each stage: Table 2's rows in order on the stages with weights (pooling and flatten have
    # no MACs), and torch's count of that child of the built module
    rows = iter(mobilenetv2_row_macs(0.5, 96))
    assert entry["stages"] == {name: {"macs": next(rows) if owned else 0, "params": owned}
                               for name, owned in params.items()}
    assert next(rows, None) is None


def test_load_and_dump_round_trip(lock_text, tmp_path):
    path = tmp_path / "costlab.lock.json"
    path.write_text(lock_text)
    assert dump_lock(load_lock(path)) == lock_text


@pytest.mark.parametrize("edit, words", [
    (lambda text: text[:-30], "not valid JSON: "),
    (lambda text: "[]", "not a costlab lock file: the top level is not an object"),
    (lambda text: text.replace('"format": 1', '"format": 7'), "format 7; this costlab reads "
                                                                 "format 1"),
    (lambda text: text.replace('"entries"', '"entrees"'), "missing key 'entries'"),
    (lambda text: text.replace('"macs": 416520', '"macs": "416520"', 1),
     "entry 'lenet5': 'metrics' must map names to integers"),
    (lambda text: text.replace('"params": "torch"', '"params": "tf"'),
     "unknown parameter convention 'tf'"),
    (lambda text: text.replace('"stages"', '"stagez"', 1), "entry 'lenet5': missing key 'stages'"),
])
def test_corrupted_lock_files_name_the_file_and_the_problem(lock_text, tmp_path, edit, words):
    path = tmp_path / "costlab.lock.json"
    path.write_text(edit(lock_text))
    with pytest.raises(LockfileError) as caught:
        load_lock(path)
    assert str(caught.value).startswith(f"{path}: ") and words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_lock_file(tmp_path):
    with pytest.raises(LockfileError, match=r"cannot read lock file .*nope\.json"):
        load_lock(tmp_path / "nope.json")


def test_snapshot_refuses_a_model_named_twice(run_cli, tmp_path):
    result = run_cli("snapshot", "lenet5", "mobilenetv2", "lenet5", "-o", str(tmp_path / "x.json"))
    assert result.exit_code == 2
    assert result.stderr.strip() == "costlab: error: lenet5 named twice"


def test_snapshot_without_models_measures_the_entries_again(run_cli, tmp_path, monkeypatch,
                                                             write_spec):
    from tests.conftest import TOY_SPEC
    (tmp_path / "specs").mkdir()
    spec = write_spec(TOY_SPEC, "specs/toy.yaml")
    write_spec("[project]\nname = 'scratch'\n", "pyproject.toml")   # no costlab table above
    monkeypatch.chdir(tmp_path)
    assert run_cli("snapshot", "toy", "toy:alpha=0.5").exit_code == 0
    before = json.loads((tmp_path / "costlab.lock.json").read_text())
    spec.write_text(spec.read_text().replace("{op: conv, c: 16, s: 2}", "{op: conv, c: 24, s: 2}"))
    result = run_cli("snapshot")
    assert result.exit_code == 0
    assert result.stdout == ("wrote costlab.lock.json: 2 models (params under 'torch', memory "
                             "at fp32)\n")
    after = json.loads((tmp_path / "costlab.lock.json").read_text())
    assert list(after["entries"]) == list(before["entries"]) == ["toy", "toy:alpha=0.5"]
    # the stem's 16 -> 24 channels at alpha 0.5 (8 -> 16 after make_divisible), by hand
    assert before["entries"]["toy:alpha=0.5"]["metrics"]["macs"] == toy_macs(0.5)
    assert after["entries"]["toy:alpha=0.5"]["metrics"]["macs"] == toy_macs(0.5, 24) \
        > toy_macs(0.5)
    options = run_cli("snapshot", "--alpha", "0.5")
    assert options.exit_code == 2 and "name the models the options apply to" in options.stderr
    spec.unlink()
    gone = run_cli("snapshot")
    assert gone.exit_code == 2
    assert gone.stderr.startswith("costlab: error: costlab.lock.json: entry 'toy': unknown model")
