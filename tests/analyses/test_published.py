"""Published figures judged in the vocabulary of reports/: the default convention first, the
others as readings."""

from __future__ import annotations

import pytest

from costlab.analyses.published import compare_entry
from costlab.spec.schema import Reported
from costlab.units import parse_quantity


def _entry(published: str, metric: str = "params") -> Reported:
    quantity = parse_quantity(published)
    return Reported("004", metric, published, {}, float(quantity.value),
                    float(quantity.precision))


@pytest.mark.parametrize("published, computed, verdict, reading", [
    ("569M", 568_740_352, "rounded", "rounded to the printed digits"),   # 568.74 -> 569
    ("300M", 300_774_272, "rounded", "cut to the printed digits"),       # 300 <= 300.77 < 301
    ("575M", 568_740_352, "differs", ""),
    ("4,221,032", 4_221_032, "exact", ""),
    ("4,221,032", 4_221_033, "differs", ""),
])
def test_the_default_convention_alone(published, computed, verdict, reading):
    judged = compare_entry(_entry(published, "macs"), {"macs": computed})
    assert (judged.verdict, judged.reading, judged.computed) == (verdict, reading, computed)


def test_another_convention_is_named():
    judged = compare_entry(_entry("4.23M"), {"params (weights)": 4_210_088,
                                             "params (torch)": 4_231_976})
    assert judged.verdict == "explained"
    assert judged.reading == "params (torch): 4,231,976 (rounded to the printed digits)"
    assert judged.computed == 4_210_088 and judged.convention == "params (weights)"
    assert judged.diff_pct == pytest.approx((4.23e6 - 4_210_088) / 4_210_088 * 100)


def test_a_count_matches_digit_for_digit():
    # Table 3's channel counts are counts: 1,296 channels are not "1300" rounded
    judged = compare_entry(_entry("1300", "max_channels"), {"blocks view": 1_296})
    assert judged.verdict == "differs"
    judged = compare_entry(_entry("16", "max_channels"), {"blocks view": 32,
                                                          "bottlenecks view": 16})
    assert (judged.verdict, judged.reading) == ("explained", "bottlenecks view: 16")


def test_the_preferred_view_is_judged_first():
    judged = compare_entry(_entry("400K", "memory_bytes"),
                           {"blocks view": 802_816, "bottlenecks view": 401_408},
                           prefer="bottlenecks view")
    assert (judged.verdict, judged.convention, judged.computed) == (
        "rounded", "bottlenecks view", 401_408)
    assert judged.reading == "rounded to 1 significant digit"     # 401,408 is 400K to 1 digit
