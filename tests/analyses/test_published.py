"""Published figures judged in the vocabulary of reports/: the default convention first, the
others as readings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from costlab.analyses.published import compare_entry, published_record
from costlab.render.data import schema_for
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


def test_a_papers_own_readings_come_after_the_conventions():
    # 4.23M is neither convention; a paper's reading (a hand value here) explains it
    judged = compare_entry(_entry("4.23M"), {"params (weights)": 4_210_088,
                                             "params (folded)": 4_200_000},
                           readings=[("the printed layout", 4_231_000)])
    assert (judged.verdict, judged.explained_by) == ("explained", "the printed layout")
    assert judged.reading == "the printed layout: 4,231,000 (rounded to the printed digits)"
    assert published_record(judged)["computed"] == 4_210_088


# -- one record shape in every JSON document -------------------------------------------------

RECORD = {"source", "table", "citation", "metric", "at", "variant", "published",
          "published_value", "computed", "counted_as", "difference_pct", "verdict", "reading"}


def _walk(data: Any, records: list[dict[str, Any]], holders: list[Any]) -> None:
    """Collects every judged figure (a mapping with a verdict, a computed value or a reading)
    and every other `published` value (what holds the records: never a flat string)."""
    if isinstance(data, dict):
        if {"verdict", "computed", "reading"} & data.keys():
            records.append(data)
        elif "published" in data:
            holders.append(data["published"])
        for value in data.values():
            _walk(value, records, holders)
    elif isinstance(data, list):
        for value in data:
            _walk(value, records, holders)


@pytest.mark.parametrize("args", [
    ("report", "mobilenetv2", "--depth", "1"),
    ("memory", "mobilenetv2", "--view", "bottlenecks"),           # fp32: rows not Table 3's
    ("memory", "mobilenetv2", "--dtype", "fp16", "--batch", "2"),  # not comparable
    ("memory", "lenet5", "--training"),
    ("sweep", "mobilenetv2", "--grid", "alpha=0.35,1.0", "--set", "num_classes=1001",
     "--metrics", "macs,params"),
])
def test_every_published_record_has_one_shape(args, run_cli):
    result = run_cli(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    records: list[dict[str, Any]] = []
    holders: list[Any] = []
    _walk(json.loads(result.stdout), records, holders)
    assert records or args[1] == "lenet5"      # lenet5's spec publishes no memory figure
    assert [sorted(r) for r in records if set(r) != RECORD] == []
    assert [h for h in holders if not isinstance(h, list)] == []
    assert [r for h in holders for r in h if not isinstance(r, dict) or set(r) != RECORD] == []


def test_memory_rows_hold_the_records_of_their_resolution(run_cli):
    data = json.loads(run_cli("memory", "mobilenetv2", "--view", "bottlenecks",
                              "--format", "json").stdout)
    rows = {r["resolution"]: r for r in data["per_resolution"]}
    # at 112x112: Table 3's 16 channels and 400K, the same records as the document's list
    assert [r["metric"] for r in rows["112x112"]["published"]] == ["max_channels",
                                                                   "memory_bytes"]
    assert all(r in data["published"] for r in rows["112x112"]["published"])
    # judged as printed, 16-bit: 16 x 112 x 112 x 2 bytes, though the row is at fp32
    memory = rows["112x112"]["published"][1]
    assert (memory["computed"], memory["verdict"]) == (16 * 112 * 112 * 2, "rounded")
    assert rows["112x112"]["bytes"] == 16 * 112 * 112 * 4           # the same tensor at fp32
    assert [r["metric"] for r in rows["max"]["published"]] == ["max_memory_bytes"]


def test_the_schemas_define_the_record_once():
    defined = [schema_for(kind)["$defs"]["published"] for kind in ("report", "memory", "sweep")]
    assert defined[0] == defined[1] == defined[2]
    assert set(defined[0]["items"]["required"]) == RECORD
    assert set(defined[0]["items"]["properties"]) == RECORD
