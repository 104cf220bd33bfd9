"""Width rounding as the reference implementations do it."""

from __future__ import annotations

import pytest

from costlab.blocks.context import make_divisible, scale_channels


@pytest.mark.parametrize("value, expected", [
    (32 * 0.35, 16),   # 11.2 -> nearest multiple of 8 is 8, below 90% of 11.2: bumped to 16
    (16 * 0.35, 8),    # 5.6 -> 8 (minimum)
    (24 * 0.5, 16),    # 12 -> int(12 + 4) // 8 * 8 = 16
    (96 * 0.75, 72),
    (320 * 1.4, 448),
    (1280 * 1.4, 1792),
])
def test_make_divisible(value, expected):
    assert make_divisible(value) == expected


def test_scale_modes():
    assert scale_channels(1280, 0.5, "make_divisible", "no_shrink") == 1280
    assert scale_channels(1280, 1.4, "make_divisible", "no_shrink") == 1792
    assert scale_channels(1000, 0.5, "make_divisible", "fixed") == 1000
    assert scale_channels(1024, 0.75, "floor") == 768
    assert scale_channels(32, 0.25, "floor") == 8
    assert scale_channels(24, 0.3, "exact") == 7   # round(7.2)
