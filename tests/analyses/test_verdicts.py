"""The one verdict vocabulary: how a printed figure is read against a computed one."""

from __future__ import annotations

from costlab.analyses.verdicts import Verdict, approximately, judge, rounding


def test_rounding_names_the_digits():
    assert rounding("4,221,032", 4_221_032) == ""
    assert rounding("3.47M", 3_470_760) == "rounded to the printed digits"     # 3.47 +- 0.005
    assert rounding("300M", 300_774_272) == "cut to the printed digits"        # 300 <= . < 301
    assert rounding("1600K", 16 * 112 * 112 * 2 * 4) == "rounded to 2 significant digits"
    # 400 x 28 x 28 x 2 = 627,200 B is "600K" to one digit (4.5% off, within 5%) ...
    assert rounding("600K", 400 * 28 * 28 * 2) == "rounded to 1 significant digit"
    # ... but 24 x 56 x 56 x 2 = 150,528 B is not "200K" (25% off)
    assert rounding("200K", 24 * 56 * 56 * 2) is None
    assert rounding("32K", 320 * 7 * 7 * 2) is None                            # 31.36K


def test_judge_tries_the_readings_in_order():
    assert judge("4,221,032", 4_221_032) == (Verdict.EXACT, "")
    verdict, reading = judge("4,254,889", 4_210_088, [("torch", 4_231_976),
                                                      ("keras at 1001", 4_254_889)])
    assert verdict is Verdict.EXPLAINED and reading == "keras at 1001: 4,254,889"
    verdict, reading = judge("531M", 300_774_272, [("2 x macs", 601_548_544)])
    assert verdict is Verdict.DIFFERS and "2 x macs: 601,548,544" in reading


def test_counts_match_only_exactly():
    assert judge("30", 28)[0] is Verdict.DIFFERS            # 28 would round to "30"
    assert judge("30", 28, exact=True)[0] is Verdict.DIFFERS
    assert judge("30", 28, [("with pool and softmax", 30)], exact=True)[0] is Verdict.EXPLAINED


def test_approximately():
    assert approximately(0.25, 0.25) is Verdict.EXACT
    assert approximately(0.5625, 0.5721) is Verdict.ROUNDED          # +1.7%
    assert approximately(0.0625, 0.0721) is Verdict.DIFFERS          # +15%
