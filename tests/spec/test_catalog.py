"""Specs by name: aliases, suggestions, and the directories searched, first one winning."""

from __future__ import annotations

import pytest

from costlab.errors import ModelLoadError
from costlab.spec.catalog import find_specs, load_named_spec
from tests.conftest import TOY_SPEC


def test_names_and_aliases():
    assert load_named_spec("MobileNet-V2").name == "mobilenetv2"      # case, - and _ ignored
    assert load_named_spec("shufflenet").name == "shufflenetv1"       # an alias in the spec


def test_unknown_name_suggests_close_ones():
    with pytest.raises(ModelLoadError, match="did you mean mobilenetv2, mobilenetv1"):
        load_named_spec("mobilenetv3")


def test_costlab_specs_directory_comes_first(tmp_path, monkeypatch):
    (tmp_path / "mobilenetv2.yaml").write_text(TOY_SPEC.replace("name: toy", "name: mine"))
    (tmp_path / "toy.yaml").write_text(TOY_SPEC)
    monkeypatch.setenv("COSTLAB_SPECS", str(tmp_path))
    assert find_specs()["mobilenetv2"] == tmp_path / "mobilenetv2.yaml"
    assert load_named_spec("mobilenetv2").name == "mine" and "toy" in find_specs()


def test_bundled_specs_are_found_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)          # no ./specs here: the bundled ones must still be found
    monkeypatch.delenv("COSTLAB_SPECS", raising=False)
    assert {"mobilenetv2", "lenet5"} <= set(find_specs())
