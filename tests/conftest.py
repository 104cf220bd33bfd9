"""Shared fixtures: a CLI runner, spec files written on the fly, small models."""

from __future__ import annotations

import os
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from costlab.cli import cli

# Under pytest-xdist each worker is one process per core: torch's own threads on top of them
# would oversubscribe the cores (the real forward passes of fvcore and the CPU fallback slowed
# the suite down by half). Set before any test imports torch.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")

# The environment that changes what costlab prints or where it runs: a developer's terminal,
# CI's GITHUB_ACTIONS and pytest-xdist's workers (which set COLUMNS=80) must not change a test.
_AMBIENT = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
            "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "COSTLAB_SCHEDULER", "COSTLAB_DEBUG",
            "COSTLAB_SPECS")


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("costlab-cache")


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch, _session_cache: Path) -> None:
    """Output as a pipe gets it, whatever the shell running the tests sets: a test that wants
    colour or a progress bar sets FORCE_COLOR itself. costlab's caches (spec summaries, the
    roofline) go to a directory of the session, never the user's."""
    for name in _AMBIENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COSTLAB_CACHE_DIR", str(_session_cache))


@pytest.fixture
def run_cli() -> Callable[..., object]:
    """Invokes `costlab ARGS...` and returns the click Result (stdout and stderr apart)."""
    runner = CliRunner()

    def run(*args: str) -> object:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    return run


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[[str], Path]:
    """Writes dedented YAML to a spec file and returns its path."""
    def write(text: str, name: str = "toy.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path
    return write


TOY_SPEC = """
name: toy
citation: a test fixture
params:
  alpha: {default: 1.0, min: 0.25, max: 2.0}
  resolution: {default: 32, min: 8}
  num_classes: 10
layers:
  - {op: conv, c: 16, s: 2}
  - {op: dwsep, c: 32, s: 2}
  - {op: bottleneck, t: 6, c: 32, n: 2, s: 1}
  - {op: global_avgpool}
  - {op: flatten}
  - {op: linear, out: num_classes}
"""


# mypy on a cold cache (a fresh clone, CI) takes 17 s, the longest file by far. Handed out last,
# as xdist's own order (most tests first) would hand it, it ran alone after everything else.
STARTS_FIRST = ("tests/test_typing.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """tests/models/ builds third-party models: marked `zoo` (`-m "not zoo"` leaves them
    out). The files go to xdist's workers in this order (`--no-loadscope-reorder`): the
    files in STARTS_FIRST, then the rest with the most tests first, as xdist orders them."""
    tests_in_file = Counter(item.nodeid.split("::")[0] for item in items)

    def order(item: pytest.Item) -> tuple[bool, int]:
        file = item.nodeid.split("::")[0]
        return file not in STARTS_FIRST, -tests_in_file[file]

    items.sort(key=order)    # stable: each file's tests keep their order
    for item in items:
        if item.nodeid.startswith("tests/models/"):
            item.add_marker(pytest.mark.zoo)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite tests/golden/ from the current output instead of comparing.")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
