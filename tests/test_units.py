"""The one amount grammar (specs and budgets read it), shapes, and human formatting."""

from __future__ import annotations

from fractions import Fraction

import pytest

from costlab.units import (
    fmt_bytes,
    fmt_int,
    fmt_shape,
    humanize,
    numel,
    parse_amount,
    parse_quantity,
)


@pytest.mark.parametrize("text, value, precision, kind", [
    ("300M", 300 * 10**6, 10**6, "count"),
    ("3.47M", 3_470_000, 10_000, "count"),          # one unit of the last printed digit
    ("0.5M", 500_000, 100_000, "count"),
    ("4,221,032", 4_221_032, 1, "count"),
    ("310_000_000", 310_000_000, 1, "count"),
    ("400K", 400_000, 1000, "count"),
    ("400k", 400_000, 1000, "count"),
    ("1.5G", 1_500_000_000, 10**8, "count"),
    ("1.5B", 1_500_000_000, 10**8, "count"),        # B is a billion, as in "1.5B parameters"
    ("2T", 2 * 10**12, 10**12, "count"),
    ("-3", -3, 1, "count"),
    ("12 MB", 12_000_000, 10**6, "bytes"),          # decimal, as the papers print bytes
    ("9.6MB", 9_600_000, 100_000, "bytes"),
    ("401.408kB", 401_408, 1, "bytes"),
    ("401KB", 401_000, 1000, "bytes"),
    ("2GB", 2 * 10**9, 10**9, "bytes"),
    ("1TB", 10**12, 10**12, "bytes"),
    ("8MiB", 8 * 1024 * 1024, 1024 * 1024, "bytes"),
    ("1KiB", 1024, 1024, "bytes"),
    ("1GiB", 1024**3, 1024**3, "bytes"),
    ("1TiB", 1024**4, 1024**4, "bytes"),
    ("512 bytes", 512, 1, "bytes"),
    ("80%", 80, 1, "percent"),
    ("75.5 ms", Fraction(151, 2), Fraction(1, 10), "ms"),
    (569, 569, 1, "count"),
    (3.5e6, 3_500_000, Fraction(1, 10), "count"),   # as repr() prints it: 3500000.0
    (0.25, Fraction(1, 4), Fraction(1, 100), "count"),
])
def test_quantity(text, value, precision, kind):
    quantity = parse_quantity(text)
    assert (quantity.value, quantity.precision, quantity.kind) == (value, precision, kind)


@pytest.mark.parametrize("text", [
    "lots", "310X", "3.5Mb", "3m", "1.2.3M", "", "M", "nan", "inf", float("nan"),
    float("inf"), -float("inf"), True, False,
])
def test_quantity_refused(text):
    with pytest.raises(ValueError, match=r"cannot read|not a"):
        parse_quantity(text)


@pytest.mark.parametrize("text, amount", [
    ("310M", 310_000_000), ("3.5M", 3_500_000), ("300.774272M", 300_774_272),
    ("1.5B", 1_500_000_000), ("12 MB", 12_000_000), ("8MiB", 8_388_608), (3.5e6, 3_500_000),
    ("4,221,032", 4_221_032), (7, 7),
])
def test_amount(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text, words", [
    ("1.5", "not a whole number"), ("1.0000005M", "not a whole number"), (2.5, "not a whole"),
    ("80%", "not an amount"), ("3 ms", "not an amount"), (True, "not a number"),
    ("nan", "cannot read"),
])
def test_amount_refused(text, words):
    with pytest.raises(ValueError, match=words) as error:
        parse_amount(text)
    assert "%" not in str(error.value).replace("80%", "")     # only forms an amount takes


def test_numel():
    assert numel((1, 32, 112, 112)) == 1 * 32 * 112 * 112
    assert numel(()) == 1 and numel(None) == 0


@pytest.mark.parametrize("value, shown", [
    (999, "999"), (999_999, "1.00M"), (999_994, "999.99K"), (994_000, "994.00K"),
    (996_000, "996.00K"), (300_774_272, "300.77M"), (1_500_000_000, "1.50G"),
    (-2_000, "-2.00K"), (-999_999, "-1.00M"), (2.5, "2.5"),
])
def test_humanize_rounds_before_it_picks_the_unit(value, shown):
    assert humanize(value) == shown


@pytest.mark.parametrize("value, shown", [
    (512, "512 B"), (999_999, "1.0 MB"), (999_940, "999.9 kB"), (401_408, "401.4 kB"),
    (949_000, "949.0 kB"), (951_000, "951.0 kB"), (960_000_000, "960.0 MB"), (999, "999 B"),
    (12_000_000, "12.0 MB"),
])
def test_fmt_bytes(value, shown):
    assert fmt_bytes(value) == shown


def test_fmt_int_and_shape():
    assert fmt_int(300_774_272) == "300,774,272"
    assert fmt_shape((1, 3, 224, 224)) == "1x3x224x224" and fmt_shape(None) == ""
