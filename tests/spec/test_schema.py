"""Spec loading: structure, types, ranges, and one error line naming file, line and field."""

from __future__ import annotations

import pytest

from costlab.errors import OptionError, SpecError
from costlab.spec.schema import load_spec, resolve_params
from tests.conftest import TOY_SPEC


def test_toy_spec_loads(write_spec):
    spec = load_spec(write_spec(TOY_SPEC))
    assert spec.name == "toy"
    assert [layer.op for layer in spec.layers][:3] == ["conv", "dwsep", "bottleneck"]
    assert spec.layers[2].args["t"] == 6
    assert spec.params["num_classes"].default == 10


def test_published_figures_are_read_by_the_units_grammar(write_spec):
    """"1.5B" is 1.5e9 and "12 MB" 12,000,000 bytes, as in a budget; precision of "3.47M" is
    10,000 (one unit of its last printed digit)."""
    reported = "".join(f"  - {{source: s, metric: macs, published: '{text}'}}\n"
                       for text in ("1.5B", "12 MB", "3.47M", "4,221,032", "569"))
    spec = load_spec(write_spec("name: x\ncitation: c\nlayers:\n  - {op: conv, c: 8}\n"
                                "reported:\n" + reported))
    assert [(r.value, r.precision) for r in spec.reported] == [
        (1.5e9, 1e8), (12e6, 1e6), (3.47e6, 1e4), (4_221_032, 1), (569, 1)]
    assert [r.published for r in spec.reported][:2] == ["1.5B", "12 MB"]


@pytest.mark.parametrize("text, line, field, words", [
    ("name: x\ncitation: c\nlayers: [\n", 4, None, "invalid YAML"),
    ("name: x\ncitation: c\nlayers:\n  - {op: conv, c: 8}\nbogus: 1\n", 5, "bogus",
     "unknown field"),
    ("name: x\nlayers:\n  - {op: conv, c: 8}\n", 1, None, "citation"),
    ("name: x\ncitation: c\nlayers:\n  - {c: 8}\n", 4, "layers[0]", "'op'"),
    ("name: x\ncitation: c\nname: y\nlayers: []\n", 3, None, "duplicate key"),
    ("name: x\ncitation: c\nparams:\n  alpha: {default: 1.0, bogus: 2}\nlayers:\n"
     "  - {op: conv, c: 8}\n", 4, "params.alpha", "unknown field 'bogus'"),
    ("name: x\ncitation: c\nlayers:\n  - {op: conv, c: 8}\nreported:\n"
     "  - {source: s, metric: macs, published: lots}\n", 6, "reported[0].published",
     "cannot read"),
])
def test_malformed_spec_names_file_line_and_field(write_spec, text, line, field, words):
    path = write_spec(text)
    with pytest.raises(SpecError) as error:
        load_spec(path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}:"), message
    if field:
        assert f": {field}:" in message
    assert words in message
    assert "\n" not in message


def test_resolve_params_converts_and_checks(write_spec):
    spec = load_spec(write_spec(TOY_SPEC))
    assert resolve_params(spec, {"alpha": "0.5", "resolution": 64}) == {
        "alpha": 0.5, "resolution": 64, "num_classes": 10}
    with pytest.raises(OptionError, match=r"alpha=3\.0 is above its maximum 2\.0"):
        resolve_params(spec, {"alpha": 3})
    with pytest.raises(OptionError, match="has no parameter 'depth'; its parameters: alpha"):
        resolve_params(spec, {"depth": 3})
    with pytest.raises(OptionError, match="resolution must be int"):
        resolve_params(spec, {"resolution": "big"})
