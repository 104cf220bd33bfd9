"""Verdicts: within the printed rounding, truncated, under another convention, or differs."""

from __future__ import annotations

import pytest

from costlab.analyses.published import compare_entry, verdict
from costlab.spec.schema import Reported
from costlab.units import parse_quantity


@pytest.mark.parametrize("published, computed, expected", [
    ("569M", 568_740_352, "match"),               # 568.74 rounds to 569
    ("300M", 300_774_272, "match (truncated)"),   # 300.77 rounds to 301, cut to 300
    ("3.47M", 3_470_760, "match"),
    ("3.4M", 3_470_760, "match (truncated)"),
    ("575M", 568_740_352, "differs"),
    ("4,221,032", 4_221_032, "match"),
    ("4,221,032", 4_221_033, "differs"),
])
def test_verdict(published, computed, expected):
    quantity = parse_quantity(published)
    assert verdict(float(quantity.value), float(quantity.precision), computed) == expected


def _entry(published: str) -> Reported:
    quantity = parse_quantity(published)
    return Reported("004", "params", published, {}, float(quantity.value),
                    float(quantity.precision))


def test_another_convention_is_named():
    judged = compare_entry(_entry("4.23M"), {"params (weights)": 4_210_088,
                                             "params (torch)": 4_231_976})
    assert judged.verdict == "match under params (torch)"
    assert judged.computed == 4_210_088 and judged.convention == "params (weights)"
    assert judged.diff_pct == pytest.approx((4.23e6 - 4_210_088) / 4_210_088 * 100)
