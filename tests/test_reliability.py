"""Issue 15, run as a hostile or careless user would: every case listed under "Why" ends in
exit 2 with one line, or in the correct result where the input was valid."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from costlab.render.files import write_atomic
from tests.conftest import TOY_SPEC

TOY = textwrap.dedent(TOY_SPEC).lstrip()


def _one_error_line(result, *words: str) -> str:
    """Asserts exit 2, nothing on stdout and exactly one `costlab: error:` line."""
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("costlab: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project directory (with pyproject.toml) as the working directory."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n', encoding="utf-8")
    (tmp_path / "toy.yaml").write_text(TOY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- 1. the gate can be switched off -------------------------------------------------------

@pytest.mark.parametrize("value", ["nan", "inf"])
def test_check_tolerance_nan_or_inf_is_refused(run_cli, project, value):
    assert run_cli("snapshot", "toy.yaml", "-o", "lock.json").exit_code == 0
    _one_error_line(run_cli("check", "lock.json", "--tolerance", value), "--tolerance",
                    "finite")


@pytest.mark.parametrize("value", ["nan", "inf", "true"])
def test_pyproject_tolerance_nan_inf_or_bool_is_refused(run_cli, project, value):
    assert run_cli("snapshot", "toy.yaml", "-o", "lock.json").exit_code == 0
    (project / "pyproject.toml").write_text(f"[tool.costlab]\ntolerance = {value}\n")
    _one_error_line(run_cli("check", "lock.json"), "tolerance must be a percentage")


def test_a_grown_cost_still_fails_with_a_finite_tolerance(run_cli, project):
    """The gate works: 16 -> 64 channels in the first conv grows MACs, exit 1."""
    assert run_cli("snapshot", "toy.yaml", "-o", "lock.json").exit_code == 0
    (project / "toy.yaml").write_text(TOY.replace("c: 16, s: 2", "c: 64, s: 2"))
    assert run_cli("check", "lock.json", "--tolerance", "1e6").exit_code == 0
    assert run_cli("check", "lock.json", "--tolerance", "5").exit_code == 1


# --- 2. exit 1 is overloaded: each reproduction is exit 2 in one line ----------------------

_BAD_SPECS = {
    "utf16": (TOY.encode("utf-16"), "not UTF-8"),
    "non-utf8": (TOY.encode() + b"# \xff\xfe\n", "not UTF-8"),
    "extra-5": ((TOY + "extra: 5\n").encode(), "extra: expected a mapping"),
    "input-5": ((TOY + "input: 5\n").encode(), "input: expected a mapping"),
    "aliases-5": ((TOY + "aliases: 5\n").encode(), "aliases: input should be a valid list"),
    "list-key": ((TOY + "? [a, b]\n: 1\n").encode(), "a mapping key must be a name"),
    "variant-not-number": ((TOY + "reported:\n  - {source: x, metric: macs, published: 3M,"
                            " variant: {alpha: banana}}\n").encode(),
                           "reported[0].variant.alpha: alpha must be float"),
    "int-2**63": (TOY.replace("c: 16", "c: 9223372036854775808").encode(),
                  "layers[0]: c = 9223372036854775808 is beyond the limit"),
    "default-inf": (TOY.replace("default: 1.0", "default: .inf").encode(),
                    "params.alpha.default: input should be a finite number"),
    "n-10**30": (TOY.replace("n: 2", "n: 1000000000000000000000000000000").encode(),
                 "is beyond the limit of 1,024"),
    "n-2000": (TOY.replace("n: 2", "n: 2000").encode(), "n = 2000 is beyond the limit"),
    # 8. spec mistakes that were accepted silently
    "metric-misspelt": ((TOY + "reported:\n  - {source: x, metric: macz, published: 3M}\n"
                         ).encode(), "reported[0].metric: input should be 'macs'"),
    "at-banana": ((TOY + "reported:\n  - {source: x, metric: memory_bytes, published: 3M, "
                   "at: banana}\n").encode(), "reported[0].at"),
    "published-nan": ((TOY + "reported:\n  - {source: x, metric: macs, published: .nan}\n"
                       ).encode(), "reported[0].published: input should be a finite number"),
    "input-height": ((TOY + "input: {channels: 3, height: 5}\n").encode(),
                     "input: unknown field 'height'"),
    "default-above-max": (TOY.replace("default: 1.0", "default: 5.0").encode(),
                          "params.alpha: default 5.0 is above max 2.0"),
    "min-above-max": (TOY.replace("min: 0.25, max: 2.0", "min: 3, max: 2.0").encode(),
                      "params.alpha: min 3 is above max 2.0"),
    "aliases-string": ((TOY + "aliases: mobilenet_v2\n").encode(),
                       "aliases: input should be a valid list"),
    "param-named-7": (TOY.replace("num_classes: 10", "num_classes: 10\n  7: 3").encode(),
                      "params.7: a name here must be an identifier"),
    # found by tests/test_fuzz.py: parameters costlab reads itself are typed and bounded
    "fuzz-resolution-3M": (TOY.replace("resolution: {default: 32, min: 8}",
                                       "resolution: 3M").encode(),
                           "params.resolution: resolution must be int, got '3M'"),
    "fuzz-resolution-empty": (TOY.replace("resolution: {default: 32, min: 8}",
                                          "resolution: ''").encode(),
                              "resolution must be int"),
    "fuzz-alpha-10**30": (TOY.replace("alpha: {default: 1.0, min: 0.25, max: 2.0}",
                                      "alpha: 1000000000000000000000000000000").encode(),
                          "params.alpha: alpha=1000000000000000000000000000000 is beyond"),
    "fuzz-num-classes-0": (TOY.replace("num_classes: 10", "num_classes: 0").encode(),
                           "num_classes=0 is outside 1..1,048,576"),
}


@pytest.mark.parametrize("case", list(_BAD_SPECS))
def test_bad_spec_is_exit_2_in_one_line_naming_the_file(run_cli, tmp_path, case):
    text, words = _BAD_SPECS[case]
    path = tmp_path / "bad.yaml"
    path.write_bytes(text)
    _one_error_line(run_cli("report", str(path)), str(path), words)


def test_spec_file_size_is_limited(run_cli, tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(TOY + "description: " + "x" * 1_100_000 + "\n")
    _one_error_line(run_cli("report", str(path)), "the limit is 1,000,000")


def test_huge_input_shape_is_exit_2(run_cli):
    _one_error_line(run_cli("report", "torch.nn:Linear:in_features=3,out_features=2",
                            "--input", "99999999999999999999x3"), "too large")


def test_reproduce_into_an_unwritable_place_is_exit_2_and_makes_nothing(run_cli, tmp_path):
    _one_error_line(run_cli("reproduce", "depthwise-separable-cost", "-o", "/proc/costlab"),
                    "/proc/costlab")
    missing = tmp_path / "reports"
    _one_error_line(run_cli("reproduce", "nosuchtable", "-o", str(missing)), "nosuchtable")
    assert not missing.exists()


@pytest.fixture
def user_models(tmp_path, monkeypatch):
    """A module of the user's models in the working directory."""
    (tmp_path / "user_models.py").write_text(textwrap.dedent("""
        import sys, threading, warnings
        import torch
        from torch import nn

        def lazy():
            return nn.Sequential(nn.LazyLinear(4))

        class Locked(nn.Module):
            def __init__(self):
                super().__init__()
                self.lock = threading.Lock()
                self.fc = nn.Linear(4, 4)
            def forward(self, x):
                return self.fc(x)

        def locked():
            return Locked()

        class Recurrent(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.LSTM(4, 8)
            def forward(self, x):
                return self.rnn(x)[0]

        def lstm():
            return Recurrent()

        def exits():
            sys.exit(0)

        class ExitsInForward(nn.Module):
            def forward(self, x):
                sys.exit(0)

        def exits_in_forward():
            return ExitsInForward()

        def chatty():
            print("hello from the model")
            return nn.Linear(4, 2)

        def warns_then_fails():
            warnings.warn("a torch-like UserWarning")
            raise ValueError("no such width")
    """), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "user_models", raising=False)
    return tmp_path


def test_lazy_linear_is_counted_after_it_learns_its_shape(run_cli, user_models):
    data = json.loads(run_cli("report", "user_models:lazy", "--input", "2x4",
                              "--format", "json").stdout)
    assert data["totals"]["macs"] == 2 * 4 * 4     # 2 rows x 4 outputs x 4 inputs
    assert data["totals"]["params"] == 4 * 4 + 4   # weight + bias, once initialized


def test_measure_of_a_module_holding_a_lock_says_not_measured(run_cli, user_models):
    result = run_cli("memory", "user_models:locked", "--input", "2x4", "--measure",
                     "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "not measured" in result.stdout and "pickle" in result.stdout


def test_memory_of_an_lstm_in_training_with_measure_succeeds(run_cli, user_models):
    result = run_cli("memory", "user_models:lstm", "--input", "3x2x4", "--training",
                     "--measure")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["lock", "pyproject"])
def test_non_utf8_lock_or_pyproject_is_exit_2(run_cli, project, name):
    assert run_cli("snapshot", "toy.yaml", "-o", "lock.json").exit_code == 0
    target = project / ("lock.json" if name == "lock" else "pyproject.toml")
    target.write_bytes(target.read_bytes() + b"\xff\xfe")
    _one_error_line(run_cli("check", "lock.json"), "not UTF-8")


def test_a_lock_nested_200000_levels_deep_is_exit_2(run_cli, project):
    (project / "lock.json").write_text("[" * 200_000 + "]" * 200_000)
    _one_error_line(run_cli("check", "lock.json"), "lock.json", "nested too deeply")


# --- 3. data files run no code -------------------------------------------------------------

def _lock_with(run_cli, project, model: str, settings: dict) -> Path:
    assert run_cli("snapshot", "toy.yaml", "-o", "lock.json").exit_code == 0
    data = json.loads((project / "lock.json").read_text())
    entry = next(iter(data["entries"].values()))
    data["entries"]["evil"] = {**entry, "model": model, "settings": settings}
    (project / "lock.json").write_text(json.dumps(data))
    return project / "lock.json"


@pytest.mark.parametrize("command", [["check", "lock.json"], ["snapshot", "-o", "lock.json"]])
def test_a_lock_entry_importing_outside_the_project_runs_nothing(run_cli, project, command):
    marker = project / "PWNED"
    _lock_with(run_cli, project, "subprocess:getoutput", {"cmd": f"touch {marker}"})
    line = _one_error_line(run_cli(*command), "entry 'evil'", "'subprocess:getoutput'",
                           "--allow-import", "nothing was run")
    assert not marker.exists(), line


def test_allow_import_lets_the_entry_run(run_cli, project):
    marker = project / "RAN"
    _lock_with(run_cli, project, "subprocess:getoutput", {"cmd": f"touch {marker}"})
    result = run_cli("check", "lock.json", "--allow-import", "subprocess:*")
    assert marker.exists()                 # allowed, so it ran (and returned no module)
    _one_error_line(result, "not an nn.Module")


def test_allow_imports_in_pyproject_lets_the_entry_run(run_cli, project):
    marker = project / "RAN"
    _lock_with(run_cli, project, "subprocess:getoutput", {"cmd": f"touch {marker}"})
    (project / "pyproject.toml").write_text('[tool.costlab]\nallow-imports = ["subprocess"]\n')
    run_cli("check", "lock.json")
    assert marker.exists()


def test_a_budget_importing_outside_the_project_runs_nothing(run_cli, project):
    marker = project / "PWNED"
    (project / "pyproject.toml").write_text(
        f"[tool.costlab.budgets.\"subprocess:getoutput:cmd='touch {marker}'\"]\n"
        "max_macs = 5\n")
    _one_error_line(run_cli("check"), "budget", "'subprocess:getoutput'", "nothing was run")
    assert not marker.exists()


def test_a_module_file_inside_the_project_runs_from_a_lock(run_cli, project, user_models):
    assert run_cli("snapshot", "user_models:chatty", "--input", "1x4", "-o",
                   "lock.json").exit_code == 0
    assert run_cli("check", "lock.json").exit_code == 0


# --- 4. user code cannot fake a pass -------------------------------------------------------

@pytest.mark.parametrize("model", ["user_models:exits", "user_models:exits_in_forward"])
def test_sys_exit_0_in_a_model_is_exit_2(run_cli, user_models, model):
    _one_error_line(run_cli("report", model, "--input", "1x4"), "SystemExit")


def test_sys_exit_0_in_a_locked_model_fails_the_check(run_cli, project, user_models):
    assert run_cli("snapshot", "user_models:chatty", "--input", "1x4", "-o",
                   "lock.json").exit_code == 0
    (project / "user_models.py").write_text("import sys\ndef chatty():\n    sys.exit(0)\n")
    sys.modules.pop("user_models", None)
    _one_error_line(run_cli("check", "lock.json"), "SystemExit")


# --- 5. lock writes are atomic -------------------------------------------------------------

_WRITER = """
import sys
from costlab.render.files import write_atomic
path, tag = sys.argv[1], sys.argv[2]
for i in range(150):
    write_atomic(path, '{"writer": "%s", "i": %d, "pad": "%s"}' % (tag, i, "x" * 200000))
"""


def test_concurrent_writers_never_leave_a_half_written_file(tmp_path):
    """Four processes rewrite one 200 kB file while this one reads it: every read is a whole
    file from one writer, and no temporary file is left behind."""
    path = tmp_path / "costlab.lock.json"
    path.write_text('{"writer": "none", "i": -1, "pad": ""}')
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(n)], env=env)
                for n in range(4)]
    reads = 0
    while any(w.poll() is None for w in writers):
        json.loads(path.read_text())        # raises on an empty or half-written file
        reads += 1
    assert all(w.returncode == 0 for w in writers)
    assert json.loads(path.read_text())["i"] == 149
    assert [p.name for p in tmp_path.iterdir()] == ["costlab.lock.json"]
    assert reads > 0


def test_snapshot_writes_the_lock_through_a_temporary_file(run_cli, project, monkeypatch):
    """A snapshot that fails half-way leaves the old lock untouched."""
    assert run_cli("snapshot", "toy.yaml", "-o", "lock.json").exit_code == 0
    before = (project / "lock.json").read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", broken_replace)
    _one_error_line(run_cli("snapshot", "toy.yaml:alpha=0.5", "-o", "lock.json"),
                    "No space left")
    assert (project / "lock.json").read_bytes() == before
    assert sorted(p.name for p in project.iterdir()) == ["lock.json", "pyproject.toml",
                                                        "toy.yaml"]


def test_a_pipe_or_device_is_written_in_place_never_replaced(run_cli, tmp_path):
    """`-o /dev/null` run as root must not turn the device into a file: a FIFO stands in for
    it (a reader is open first, so the write neither blocks nor hangs)."""
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert run_cli("report", "lenet5", "--format", "csv", "-o", str(fifo)).exit_code == 0
        received = os.read(reader, 1 << 16).decode()
    finally:
        os.close(reader)
    assert received.startswith("layer,type,") and "conv1" in received
    assert fifo.is_fifo() and [p.name for p in tmp_path.iterdir()] == ["out.fifo"]


def test_a_symbolic_link_stays_a_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


# --- 7. stdout is not protected ------------------------------------------------------------

def test_a_printing_model_does_not_corrupt_json_on_stdout(run_cli, user_models):
    result = run_cli("report", "user_models:chatty", "--input", "1x4", "--format", "json")
    assert json.loads(result.stdout)["totals"]["macs"] == 4 * 2   # 1 row x 2 out x 4 in
    assert "hello from the model" in result.stderr


# --- 9. one bad spec breaks discovery ------------------------------------------------------

def test_a_broken_spec_in_specs_is_skipped_with_one_warning(run_cli, tmp_path, monkeypatch):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "broken.yaml").write_bytes(TOY.encode("utf-16"))
    (specs / "toy.yaml").write_text(TOY.replace("name: toy", "name: toy\naliases: [tiny]"))
    monkeypatch.chdir(tmp_path)
    listed = run_cli("list")
    assert listed.exit_code == 0 and "toy" in listed.stdout and "mobilenetv2" in listed.stdout
    assert listed.stderr.count("\n") == 1 and "skipping" in listed.stderr
    assert "broken.yaml" in listed.stderr
    found = run_cli("report", "tiny")          # an alias: every spec is read to find it
    assert found.exit_code == 0 and found.stdout.startswith("toy")


# --- 10. smaller ---------------------------------------------------------------------------

def test_alpha_nan_is_refused_as_an_option(run_cli):
    _one_error_line(run_cli("report", "mobilenetv2", "--alpha", "nan"), "--alpha", "finite")


@pytest.mark.parametrize("setting", ["alpha=True", "alpha=nan", "alpha=1e999"])
def test_set_alpha_true_or_nan_is_refused(run_cli, setting):
    _one_error_line(run_cli("report", "mobilenetv2", "--set", setting), "alpha must be float")


def test_a_warning_is_not_printed_before_an_error_line(run_cli, user_models):
    _one_error_line(run_cli("report", "user_models:warns_then_fails"), "no such width")


def test_measure_restores_the_global_rng(user_models):
    from costlab.api import memory
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    memory("user_models:chatty", inputs=[(1, 4)], measure=True)
    assert torch.equal(torch.rand(3), expected)


# --- exit codes ----------------------------------------------------------------------------

def test_an_internal_error_is_exit_3_in_one_line_and_debug_shows_the_traceback(
        run_cli, monkeypatch):
    import costlab.spec.catalog

    def bug() -> None:
        raise RuntimeError("an invariant broke")
    monkeypatch.setattr(costlab.spec.catalog, "find_specs", bug)
    result = run_cli("list")
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines() == [
        "costlab: internal error: RuntimeError: an invariant broke; please report it (with "
        "COSTLAB_DEBUG=1 for the traceback)"]
    debug = run_cli("--debug", "list")
    assert debug.exit_code == 3 and "Traceback" in debug.stderr
    monkeypatch.setenv("COSTLAB_DEBUG", "1")
    assert "Traceback" in run_cli("list").stderr


def test_help_documents_the_exit_codes(run_cli):
    text = run_cli("--help").stdout
    assert "Exit codes: 0 success; 1 a cost grew" in " ".join(text.split())
    assert "--debug" in text


def test_schema_is_a_json_schema_every_bundled_spec_satisfies(run_cli):
    """Checked with pydantic's own validator on the JSON Schema's source model, and the
    schema printed is valid JSON naming the fields a spec has."""
    schema = json.loads(run_cli("schema").stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["properties"]) == {"name", "title", "citation", "description", "input",
                                         "params", "layers", "reported", "aliases", "extra"}
    assert schema["required"] == ["name", "citation", "layers"]


def test_every_metric_costlab_computes_may_be_reported():
    """spec/document.py lists the reportable metrics without importing the analyses."""
    from costlab.analyses.published import PUBLISHED_METRICS
    from costlab.spec.document import REPORTED_METRICS
    assert set(PUBLISHED_METRICS) <= set(REPORTED_METRICS)


def test_latex_header_escapes_a_spec_name(run_cli, tmp_path):
    path = tmp_path / "latex.yaml"
    path.write_text(TOY.replace("name: toy", 'name: "toy\\\\input{/etc/passwd}"'))
    text = run_cli("report", str(path), "--format", "latex").stdout
    assert "\\input{" not in text and "\\textbackslash{}input\\{/etc/passwd\\}" in text


def test_a_lock_entry_with_a_huge_batch_is_exit_2(run_cli, project):
    """Found by tests/test_fuzz.py: batch 10**30 overflowed torch's sizes (exit 3)."""
    assert run_cli("snapshot", "toy.yaml", "-o", "lock.json").exit_code == 0
    data = json.loads((project / "lock.json").read_text())
    next(iter(data["entries"].values()))["batch"] = 10**30
    (project / "lock.json").write_text(json.dumps(data))
    _one_error_line(run_cli("check", "lock.json"), "batch must be at most 2,147,483,647")


def test_batch_times_resolution_beyond_torch_is_exit_2(run_cli):
    _one_error_line(run_cli("report", "mobilenetv2", "--batch", "2147483647",
                            "--resolution", "1024"), "too large")
