"""MODEL:key=value,... arguments: where the settings start, and which settings win."""

from __future__ import annotations

import pytest

from costlab.errors import OptionError
from costlab.spec.variants import Variant, parse_variant


@pytest.mark.parametrize("text, model, settings", [
    ("mobilenetv2", "mobilenetv2", {}),
    ("mobilenetv2:alpha=0.5", "mobilenetv2", {"alpha": 0.5}),
    ("mobilenetv2:alpha=0.5,resolution=160", "mobilenetv2", {"alpha": 0.5, "resolution": 160}),
    ("mobilenetv2:rounding=exact", "mobilenetv2", {"rounding": "exact"}),
    # an import path keeps its colon; only a last part with "=" holds settings
    ("torch.nn:Linear", "torch.nn:Linear", {}),
    ("torch.nn:Linear:in_features=512,out_features=10", "torch.nn:Linear",
     {"in_features": 512, "out_features": 10}),
    ("specs/toy.yaml:alpha=0.5", "specs/toy.yaml", {"alpha": 0.5}),
    # a comma inside a value stays with its setting
    ("pkg.mod:make:kernel=(3,3),stride=2", "pkg.mod:make", {"kernel": (3, 3), "stride": 2}),
])
def test_parse_variant(text, model, settings):
    variant = parse_variant(text)
    assert variant.model == model and dict(variant.settings) == settings


def test_inline_settings_override_shared_ones_and_none_is_passed_on():
    variant = parse_variant("mobilenetv2:alpha=0.5", {"alpha": 1.0, "resolution": 160})
    assert dict(variant.settings) == {"alpha": 0.5, "resolution": 160}
    assert variant.name == "mobilenetv2:alpha=0.5,resolution=160"
    # --set bias=None must reach the callable (torch.nn:Conv2d without a bias)
    assert dict(parse_variant("torch.nn:Conv2d", {"bias": None}).settings) == {"bias": None}


def test_name_is_the_model_alone_without_settings():
    assert Variant("mobilenetv2").name == "mobilenetv2"
    assert parse_variant(Variant("torch.nn:Linear", {"in_features": 4}).name) == \
        Variant("torch.nn:Linear", {"in_features": 4})


@pytest.mark.parametrize("text, words", [
    (":alpha=0.5", "bad model ':alpha=0.5'"),
    ("mobilenetv2:=0.5", "bad setting '=0.5'"),
    ("mobilenetv2:alpha,resolution=3", "bad setting 'alpha'"),
])
def test_bad_variants(text, words):
    with pytest.raises(OptionError, match=words):
        parse_variant(text)
