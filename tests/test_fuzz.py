"""Fuzzing the CLI as a careless user would (issue 15): mutated specs, option values and lock
files must end in exit 0 or 2 (1 where `check` finds a cost grew), with no traceback and at
most 3 lines on stderr.

CI runs a few dozen cases (about 10 s). A long run records every violation instead of
stopping at the first:
COSTLAB_FUZZ_EXAMPLES=100000 COSTLAB_FUZZ_LOG=fuzz.log timeout 600 python -m pytest \
    tests/test_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import copy
import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costlab.cli import cli
from tests.conftest import TOY_SPEC

_EXAMPLES = int(os.environ.get("COSTLAB_FUZZ_EXAMPLES", "12"))
_LOG = os.environ.get("COSTLAB_FUZZ_LOG")
_SETTINGS = settings(max_examples=_EXAMPLES, deadline=None, database=None,
                     suppress_health_check=list(HealthCheck))

_VALUES = st.one_of(
    st.integers(-3, 40),
    st.sampled_from([0, -1, 2**31, 2**63, 10**30, 10**6]),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from(["", "abc", "1e9", "nan", "True", "x" * 300, "\u00e9\u4e2d", "3M"]),
    st.booleans(),
    st.none(),
    st.lists(st.integers(-2, 8), max_size=3),
    st.dictionaries(st.sampled_from(["a", "default", "c", "7"]), st.integers(0, 9),
                    max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a loaded YAML document, the document itself included."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_specs(draw: st.DrawFn) -> bytes:
    """The toy spec with a few fields replaced, removed or added, or its text damaged."""
    doc = yaml.safe_load(textwrap.dedent(TOY_SPEC))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)[1:]
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(_VALUES)
        elif action == "delete" and isinstance(parent, dict | list):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["bogus", "n", "c", "min", "max", "height", "at",
                                         "metric", "aliases", "extra"]))] = draw(_VALUES)
        if not isinstance(doc, dict) or not doc:
            break
    text = yaml.safe_dump(doc, allow_unicode=True).encode("utf-8")
    damage = draw(st.sampled_from(["none", "none", "bytes", "encoding", "cut"]))
    if damage == "bytes":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=4)) + text[at:]
    elif damage == "encoding":
        text = text.decode("utf-8").encode(draw(st.sampled_from(["utf-16", "latin-1"])),
                                           errors="replace")
    elif damage == "cut":
        text = text[:draw(st.integers(0, len(text)))]
    return text


_OPTIONS = st.lists(st.one_of(
    st.tuples(st.just("--alpha"), st.sampled_from(["nan", "inf", "-1", "0", "0.5", "1e308",
                                                    "abc", "2"])),
    st.tuples(st.just("--resolution"), st.sampled_from(["0", "-5", "16", "99999999999",
                                                         "1e3", "64"])),
    st.tuples(st.just("--num-classes"), st.sampled_from(["0", "3", "99999999999999"])),
    st.tuples(st.just("--batch"), st.sampled_from(["0", "2", "x"])),
    st.tuples(st.just("--set"), st.sampled_from(["alpha=True", "alpha=nan", "=1", "zzz=1",
                                                  "alpha", "resolution=[1]", "alpha=1e999"])),
    st.tuples(st.just("--input"), st.sampled_from(["1x3x8x8", "99999999999999999999x3",
                                                    "0x3", "axb", "1x4:int99"])),
    st.tuples(st.just("--format"), st.sampled_from(["table", "json", "csv", "latex",
                                                    "markdown", "yaml"])),
), max_size=3)


def _violation(result: Any, allowed: set[int]) -> str | None:
    stderr = result.stderr
    if result.exit_code not in allowed:
        return f"exit {result.exit_code}"
    if "Traceback" in stderr or "Traceback" in result.stdout:
        return "traceback"
    if len(stderr.splitlines()) > 3:
        return f"{len(stderr.splitlines())} stderr lines"
    return None


def _judge(case: str, result: Any, allowed: set[int]) -> None:
    problem = _violation(result, allowed)
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"case": case, "exit": result.exit_code,
                                  "problem": problem,
                                  "stderr": result.stderr[-300:]}) + "\n")
        return
    assert problem is None, f"{case}: {problem}\n{result.stderr}"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@_SETTINGS
@given(spec=mutated_specs(), command=st.sampled_from(["report", "memory"]), options=_OPTIONS)
def test_mutated_specs_and_options_exit_0_or_2_in_few_lines(
        runner: CliRunner, workdir: Path, spec: bytes, command: str,
        options: list[tuple[str, str]]) -> None:
    path = workdir / "fuzzed.yaml"
    path.write_bytes(spec)
    args = [command, str(path), *[part for option in options for part in option]]
    result = runner.invoke(cli, args, catch_exceptions=False)
    _judge(f"{args} {spec[:400]!r}", result, {0, 2})


@pytest.fixture(scope="module")
def lock_data(runner: CliRunner, workdir: Path) -> dict[str, Any]:
    (workdir / "toy.yaml").write_text(textwrap.dedent(TOY_SPEC), encoding="utf-8")
    lock = workdir / "base.lock.json"
    result = runner.invoke(cli, ["snapshot", str(workdir / "toy.yaml"), "-o", str(lock)])
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(lock.read_text(encoding="utf-8"))
    return data


@_SETTINGS
@given(data=st.data())
def test_mutated_lock_files_exit_0_1_or_2_in_few_lines(
        runner: CliRunner, workdir: Path, lock_data: dict[str, Any], data: st.DataObject
) -> None:
    doc = copy.deepcopy(lock_data)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(doc)[1:]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        value = data.draw(st.one_of(_VALUES, st.sampled_from(
            ["subprocess:getoutput", "os:system", "toy.yaml", "mobilenetv2"])))
        parent[path[-1]] = value
    lock = workdir / "fuzzed.lock.json"
    lock.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    result = runner.invoke(cli, ["check", str(lock)], catch_exceptions=False)
    _judge(f"check {json.dumps(doc, allow_nan=True)[:600]}", result, {0, 1, 2})
