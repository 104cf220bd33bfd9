"""`costlab list` from cached summaries: validated once per version of a spec file, then
listed without yaml or pydantic; a changed or broken file is read again."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest

from costlab.render.files import cache_dir
from costlab.spec.catalog import SpecWarning, match_specs
from tests.conftest import TOY_SPEC

_LIST = ("import sys\n"
         "from click.testing import CliRunner\n"
         "from costlab.cli import cli\n"
         "result = CliRunner().invoke(cli, ['list'])\n"
         "assert result.exit_code == 0, result.output\n"
         "print(sorted(m for m in ('yaml', 'pydantic') if m in sys.modules))\n"
         "print(result.stdout.splitlines()[0])\n")


def test_a_second_listing_reads_no_yaml(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLAB_CACHE_DIR", str(tmp_path / "cache"))
    first, second = (subprocess.run([sys.executable, "-c", _LIST], capture_output=True,
                                    text=True, check=True).stdout.splitlines()
                     for _ in range(2))
    assert first[0] == "['pydantic', 'yaml']" and second[0] == "[]"   # validated, then cached
    assert first[1] == second[1] and first[1].startswith("alexnet ")   # the same listing


def test_a_changed_spec_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLAB_SPECS", str(tmp_path))
    spec = tmp_path / "toy.yaml"
    spec.write_text(TOY_SPEC)
    assert [s.title for s in match_specs("toy")] == ["toy"]
    spec.write_text(TOY_SPEC.replace("name: toy", "name: toy\ntitle: Toy network"))
    assert [s.title for s in match_specs("toy")] == ["Toy network"]
    spec.write_text(TOY_SPEC.replace("layers:", "layers: 3\nnot_layers:"))   # broken now
    with pytest.warns(SpecWarning, match="toy.yaml"):
        assert "toy" not in [s.stem for s in match_specs()]


def test_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTLAB_CACHE_DIR", str(tmp_path))
    names = [s.stem for s in match_specs()]
    store = cache_dir() / "spec-summaries.json"
    entries = json.loads(store.read_text())
    for entry in entries.values():
        del entry["title"]                       # another costlab's format, say
    store.write_text(json.dumps(entries))
    assert [s.stem for s in match_specs()] == names
    store.write_text("{not json")
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # no warning: the cache is only a cache
        assert [s.stem for s in match_specs()] == names
    assert "title" in next(iter(json.loads(store.read_text()).values()))
