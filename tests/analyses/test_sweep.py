"""costlab sweep: configurations, the Pareto front, rows against costlab report, the authors'
checkpoint table, failures, Ctrl-C, --from, a Dask cluster, and bad input."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest

from costlab.analyses import sweep as sweep_module
from costlab.analyses.analysis import analyze
from costlab.analyses.sweep import (
    Range,
    SweepDefinition,
    configurations,
    evaluate,
    pareto_front,
    parse_grid,
    parse_range,
    run_sweep,
)
from costlab.errors import OptionError
from tests.conftest import TOY_SPEC

ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
RESOLUTIONS = (96, 128, 160, 192, 224)
GRID = ("sweep", "mobilenetv2", "--grid", "alpha=0.35,0.5,0.75,1.0,1.3,1.4",
        "--grid", "resolution=96,128,160,192,224", "--set", "num_classes=1001")

# tensorflow/models research/slim/nets/mobilenet/README.md, typed in from the authors' table:
# (alpha, resolution) -> (MACs in millions, parameters in millions, top-1).
CHECKPOINTS = {
    (1.4, 224): (582, 6.06, 75.0), (1.3, 224): (509, 5.34, 74.4),
    (1.0, 224): (300, 3.47, 71.8), (1.0, 192): (221, 3.47, 70.7), (1.0, 160): (154, 3.47, 68.8),
    (1.0, 128): (99, 3.47, 65.3), (1.0, 96): (56, 3.47, 60.3),
    (0.75, 224): (209, 2.61, 69.8), (0.75, 192): (153, 2.61, 68.7),
    (0.75, 160): (107, 2.61, 66.4), (0.75, 128): (69, 2.61, 63.2), (0.75, 96): (39, 2.61, 58.8),
    (0.5, 224): (97, 1.95, 65.4), (0.5, 192): (71, 1.95, 63.9), (0.5, 160): (50, 1.95, 61.0),
    (0.5, 128): (32, 1.95, 57.7), (0.5, 96): (18, 1.95, 51.2),
    (0.35, 224): (59, 1.66, 60.3), (0.35, 192): (43, 1.66, 58.2),
    (0.35, 160): (30, 1.66, 55.7), (0.35, 128): (20, 1.66, 50.8), (0.35, 96): (11, 1.66, 45.5),
}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def grid_csv() -> str:
    """The issue's 30-configuration sweep, in process, params as the slim table counts them."""
    from click.testing import CliRunner

    from costlab.cli import cli
    result = CliRunner().invoke(cli, [*GRID, "--params", "weights", "--workers", "1",
                                      "--pareto", "macs,top1", "--format", "csv"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


# -- the Pareto front, on hand-made points ---------------------------------------------------

def test_pareto_front_keeps_the_points_nothing_dominates():
    # (cost, accuracy): (2, 50) is beaten by (1, 60); (3, 60) by (1, 60); (4, 70) is the best
    points = [(1, 60), (2, 50), (3, 60), (4, 70), (5, 65)]
    assert pareto_front(points) == [0, 3]


def test_pareto_front_minimizing_both_and_ties():
    points = [(3, 3), (1, 5), (2, 2), (2, 2), (5, 1), (4, 4)]
    assert pareto_front(points, maximize_y=False) == [1, 2, 3, 4]
    assert pareto_front([]) == []
    assert pareto_front([(1, 1), (1, 2)]) == [1]   # same cost, more accurate


# -- configurations ------------------------------------------------------------------------

def test_grid_is_the_product_first_key_slowest():
    d = SweepDefinition("mobilenetv2", (parse_grid("alpha=0.5,1.0"),
                                        parse_grid("resolution=96,128,160")))
    assert configurations(d) == [{"alpha": a, "resolution": r}
                                 for a in (0.5, 1.0) for r in (96, 128, 160)]


def test_sample_is_seeded_and_within_its_ranges():
    d = SweepDefinition("mobilenetv2", (parse_grid("alpha=0.5,1.0"),),
                        (parse_range("resolution=96:224:32"),), sample=50, seed=7)
    configs = configurations(d)
    assert configs == configurations(d) and len(configs) == 50
    assert {c["resolution"] for c in configs} <= {96, 128, 160, 192, 224}
    assert all(isinstance(c["resolution"], int) for c in configs)
    assert {c["alpha"] for c in configs} <= {0.5, 1.0}
    assert configs != configurations(SweepDefinition(d.model, d.grid, d.ranges, 50, seed=8))


def test_ranges_draw_integers_or_rounded_floats():
    rng = random.Random(0)
    assert all(96 <= Range(96, 224).draw(rng) <= 224 for _ in range(100))
    floats = [Range(0.35, 1.4).draw(rng) for _ in range(100)]
    assert all(0.35 <= v <= 1.4 and round(v, 4) == v for v in floats)
    assert {Range(0.5, 1.0, 0.25).draw(rng) for _ in range(200)} == {0.5, 0.75, 1.0}


@pytest.mark.parametrize(("definition", "words"), [
    (SweepDefinition("mobilenetv2", (("depth", (1, 2)),)), "no parameter 'depth'"),
    (SweepDefinition("mobilenetv2", (("alpha", (0.5, 9.0)),)), "above its maximum"),
    (SweepDefinition("mobilenetv2"), "nothing to sweep"),
    (SweepDefinition("mobilenetv2", ranges=(parse_range("alpha=0.5:1"),)), "--sample"),
    (SweepDefinition("mobilenetv2", (("alpha", (0.5,)),), settings={"alpha": 1.0}), "both"),
])
def test_bad_definitions_are_refused_before_measuring(definition, words):
    with pytest.raises(OptionError, match=words):
        configurations(definition)


@pytest.mark.parametrize(("text", "parse"), [("alpha=", parse_grid), ("alpha", parse_grid),
                                             ("r=9:1", parse_range), ("r=1:x", parse_range),
                                             ("r=1:9:0", parse_range)])
def test_bad_grid_and_range_text(text, parse):
    with pytest.raises(OptionError):
        parse(text)


# -- the acceptance ------------------------------------------------------------------

def test_grid_gives_30_rows_in_order(grid_csv):
    rows = _rows(grid_csv)
    assert [(float(r["alpha"]), int(r["resolution"])) for r in rows] == \
        [(a, r) for a in ALPHAS for r in RESOLUTIONS]
    assert all(r["num_classes"] == "1001" and r["error"] == "" for r in rows)


def test_the_22_checkpoints_match_the_authors_table(grid_csv):
    rows = {(float(r["alpha"]), int(r["resolution"])): r for r in _rows(grid_csv)}
    for key, (macs_m, params_m, top1) in CHECKPOINTS.items():
        row = rows[key]
        assert int(row["macs"]) // 1_000_000 == macs_m, key      # the table truncates MACs
        assert round(int(row["params"]) / 1e6, 2) == params_m, key
        assert float(row["top1"]) == top1 and row["top1_source"] == "slim checkpoints"
        assert row["published"].count(": rounded") == 2, row["published"]
    others = [r for k, r in rows.items() if k not in CHECKPOINTS]
    assert len(others) == 8 and all(r["top1"] == "" for r in others)


def test_the_front_is_the_accuracy_vs_macs_front(grid_csv):
    rows = [r for r in _rows(grid_csv) if r["top1"]]
    on = {(float(r["alpha"]), int(r["resolution"])) for r in rows if r["pareto"] == "True"}
    for r in rows:   # off the front <=> some checkpoint is cheaper and at least as accurate
        beaten = any(int(o["macs"]) < int(r["macs"]) and float(o["top1"]) >= float(r["top1"])
                     for o in rows)
        assert ((float(r["alpha"]), int(r["resolution"])) not in on) == beaten


def test_each_row_equals_costlab_report(grid_csv, run_cli):
    rows = _rows(grid_csv)
    # one row per width, each at another resolution (all 30 would double the sweep's time)
    for row in rows[::6]:
        a = analyze("mobilenetv2", alpha=float(row["alpha"]), resolution=int(row["resolution"]),
                    num_classes=1001, params="weights")
        assert a.memory is not None
        assert (int(row["macs"]), int(row["flops"]), int(row["params"])) == \
            (a.totals["macs"], a.totals["flops"], a.totals["params"])
        assert int(row["peak_bytes"]) == a.memory.peak.bytes
    report = json.loads(run_cli("report", "mobilenetv2:alpha=0.75,resolution=128",
                                "--num-classes", "1001", "--params", "weights",
                                "--format", "json").stdout)
    row = next(r for r in rows if (r["alpha"], r["resolution"]) == ("0.75", "128"))
    assert report["totals"]["macs"] == int(row["macs"])
    assert report["totals"]["params"] == int(row["params"])


def test_json_rows_carry_the_records_report_shows(run_cli):
    """The CSV's flat `published` cell is, in JSON, the records `costlab report` writes for
    the same configuration (composed from the block cache here, from a full analysis there)."""
    data = json.loads(run_cli("sweep", "mobilenetv2", "--grid", "alpha=0.75",
                              "--set", "resolution=128", "--set", "num_classes=1001",
                              "--metrics", "macs", "--format", "json").stdout)
    [row] = data["rows"]
    report = json.loads(run_cli("report", "mobilenetv2:alpha=0.75,resolution=128",
                                "--num-classes", "1001", "--format", "json").stdout)
    assert row["published"] == [r for r in report["published"] if not r["at"]]
    slim = {r["metric"]: r for r in row["published"] if r["source"] == "slim"}
    assert (slim["macs"]["published"], slim["params"]["published"]) == ("69M", "2.61M")
    assert slim["macs"]["verdict"] == slim["params"]["verdict"] == "rounded"


# -- execution -------------------------------------------------------------------------------

@pytest.fixture
def toy(write_spec):
    return str(write_spec(TOY_SPEC))


def _toy_sweep(run_cli, toy, *extra):
    return run_cli("sweep", toy, "--grid", "alpha=0.5,1.0", "--grid", "resolution=16,32",
                   "--format", "csv", *extra)


def test_pool_and_dask_give_the_same_csv(run_cli, toy, monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    alone = _toy_sweep(run_cli, toy, "--workers", "1")
    assert alone.exit_code == 0 and len(_rows(alone.stdout)) == 4
    pooled = _toy_sweep(run_cli, toy, "--workers", "2")
    assert pooled.stdout == alone.stdout
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1", dashboard_address=":0") \
            as cluster:
        address = cluster.scheduler_address
        on_dask = _toy_sweep(run_cli, toy, "--scheduler", address)
        monkeypatch.setenv("COSTLAB_SCHEDULER", address)
        from_env = run_cli("sweep", toy, "--grid", "alpha=0.5,1.0", "--format", "markdown")
    assert on_dask.exit_code == 0, on_dask.stderr
    assert on_dask.stdout == alone.stdout
    assert f"2 of 2 configurations (dask {address})" in from_env.stdout


def _not_a_sweep_result(chunk):
    return ["not this sweep's rows"] * len(chunk)


def test_a_sweep_never_takes_another_clients_results(run_cli, toy):
    # A Dask key names a result on the scheduler: a second user (or a second sweep whose
    # results are still held) with the same key would be handed those results, not its own.
    distributed = pytest.importorskip("dask.distributed")
    alone = _toy_sweep(run_cli, toy, "--workers", "1")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1", dashboard_address=":0") \
            as cluster, distributed.Client(cluster.scheduler_address) as other:
        held = [other.submit(_not_a_sweep_result, [None] * 4, pure=False,
                             key=f"costlab-sweep-{i}") for i in range(4)]
        distributed.wait(held)
        on_dask = _toy_sweep(run_cli, toy, "--scheduler", cluster.scheduler_address)
    assert on_dask.exit_code == 0, on_dask.stderr
    assert on_dask.stdout == alone.stdout


@pytest.fixture
def quick_timeout(monkeypatch):
    """A scheduler that is not there is the same error after 0.5 s as after 5."""
    monkeypatch.setattr(sweep_module, "CONNECT_TIMEOUT_S", 0.5)


def test_a_scheduler_without_workers_says_so(run_cli, toy, quick_timeout):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        result = _toy_sweep(run_cli, toy, "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 2 and "has no workers" in result.stderr.splitlines()[-1]


def test_a_failing_configuration_is_a_row(tmp_path, monkeypatch):
    (tmp_path / "nets.py").write_text(
        "from torch import nn\n"
        "def net(width=8):\n"
        "    if width == 3:\n"
        "        raise ValueError('width 3 is odd\\n  more detail')\n"
        "    return nn.Conv2d(3, width, 3)\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_sweep(SweepDefinition("nets:net", (("width", (2, 3, 4)),),
                                       settings={"resolution": 8}, metrics=("macs",)))
    assert [r.error == "" for r in result.rows] == [True, False, True]
    assert "width 3 is odd" in result.rows[1].error and "\n" not in result.rows[1].error
    # conv: output elements x C_in x k_h x k_w = (w x 6 x 6) x 3 x 3 x 3
    assert [r.values.get("macs") for r in result.rows] == [2 * 36 * 27, None, 4 * 36 * 27]


def test_ctrl_c_keeps_the_rows_done(toy):
    def progress(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt
    result = run_sweep(SweepDefinition(toy, (("resolution", (8, 16, 24, 32)),)),
                       workers=1, progress=progress)
    assert not result.complete and len(result.rows) == 2 and result.total == 4
    assert [r.settings["resolution"] for r in result.rows] == [8, 16]


def test_evaluate_turns_any_error_into_its_row(toy):
    row = evaluate(toy, {"alpha": "wide"}, None, "torch", "fp32")
    assert row.values == {} and row.error.startswith("OptionError: ")


def test_json_embeds_the_definition_and_from_reruns_it(run_cli, toy, tmp_path):
    out = tmp_path / "sweep.json"
    first = run_cli("sweep", toy, "--sample", "3", "--seed", "5", "--range",
                    "resolution=8:64:8", "--set", "num_classes=7", "--metrics", "macs,params",
                    "--format", "json", "-o", str(out))
    assert first.exit_code == 0, first.stderr
    data = json.loads(out.read_text())
    assert data["sweep"]["seed"] == 5 and data["sweep"]["range"] == {"resolution": "8:64:8"}
    assert [set(r) >= {"resolution", "num_classes", "macs", "params"} for r in data["rows"]] \
        == [True] * 3
    again = run_cli("sweep", "--from", str(out), "--format", "json")
    assert again.exit_code == 0 and json.loads(again.stdout) == data


def test_plot_draws_the_front(run_cli, toy, tmp_path):
    out = tmp_path / "front.svg"
    result = _toy_sweep(run_cli, toy, "--pareto", "macs,params", "--plot", str(out))
    assert result.exit_code == 0, result.stderr
    assert "Pareto front" in out.read_text()


# -- bad input: one line, exit 2 -------------------------------------------------------------

@pytest.mark.parametrize(("args", "words"), [
    (("--grid", "depth=1,2"), "no parameter 'depth'"),
    (("--grid", "alpha="), "has no values"),
    (("--grid", "alpha=0.5,5"), "above its maximum"),
    (("--grid", "alpha=0.5", "--pareto", "macs,top5"), "not a column"),
    (("--grid", "alpha=0.5", "--format", "parquet"), "-o"),
    (("--grid", "alpha=0.5", "--metrics", "nope"), "unknown metric"),
    (("--sample", "3"), "--range"),
    (("--grid", "alpha=0.5", "--scheduler", "tcp://127.0.0.1:9"), "cannot reach"),
])
def test_bad_input_gives_one_line_and_exit_2(run_cli, toy, args, words, quick_timeout):
    result = run_cli("sweep", toy, *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert words in lines[-1] and lines[-1].startswith("costlab: error: ")


def test_from_a_file_that_is_not_a_sweep(run_cli, tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{\"kind\": \"report\"}")
    result = run_cli("sweep", "--from", str(bad))
    assert result.exit_code == 2 and "no sweep definition" in result.stderr


def test_parquet_without_pyarrow_says_how_to_install(run_cli, toy, tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    result = _toy_sweep(run_cli, toy, "--format", "parquet", "-o", str(tmp_path / "s.parquet"))
    assert result.exit_code == 2 and "pip install pyarrow" in result.stderr


def test_parquet_holds_the_csv_rows(run_cli, toy, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "s.parquet"
    written = _toy_sweep(run_cli, toy, "--format", "parquet", "-o", str(out))
    assert written.exit_code == 0, written.stderr
    table = pq.read_table(out).to_pylist()
    rows = _rows(_toy_sweep(run_cli, toy).stdout)
    assert list(table[0]) == list(rows[0])   # the same columns, in order
    assert [{k: str(v) for k, v in r.items()} for r in table] == rows
    assert isinstance(table[0]["macs"], int)   # exact integers, not floats


_NO_COSTLAB = """
import sys

class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if name == "costlab" or name.startswith("costlab."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, _Blocked())
for name in [n for n in sys.modules if n == "costlab" or n.startswith("costlab.")]:
    del sys.modules[name]
"""


def test_a_worker_without_costlab_says_so(run_cli, toy, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    preload = tmp_path / "no_costlab.py"
    preload.write_text(_NO_COSTLAB, encoding="utf-8")
    # a worker process in which `import costlab` fails, as on a machine without it
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0",
                                  preload=[str(preload)]) as cluster:
        result = _toy_sweep(run_cli, toy, "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 2
    last = result.stderr.strip().splitlines()[-1]
    assert "cannot run costlab (is it installed there?)" in last
    assert "No module named 'costlab" in last
