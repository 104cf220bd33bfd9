"""Seed 001's claim that time is proportional to MACs (section 5.2), checked with the seed's
own timings and with the latency measured here; MobileNetV2's Table 4 latencies come from the
specs' `latency_ms` entries (costlab.analyses.latency).

Not a published-vs-computed record (costlab.analyses.published): no printed figure is judged
against a computed one. It sets ratios side by side, the MACs ratio of two models against
their time ratios, published and measured, and `costlab latency` writes it under
`proportionality`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from costlab.analyses.latency import LatencyReport

__all__ = ["SEED001_CLAIM", "Proportionality", "seed001_proportionality", "proportionality_dict"]

SEED001_CLAIM = "seed 001, section 5.2: 'MACs are directly proportional to computation time'"
STANDARD, REDUCED = "mobilenetv2_standard_001", "mobilenetv2_reduced_001"
EPOCH_S = (467, 51)   # one training epoch, standard and reduced, as the seed prints them
TEST_S = (467, 4)     # a forward pass over the test set ("about 467s" and "about 4s")


@dataclass(frozen=True, slots=True)
class Proportionality:
    """standard / reduced: MACs, the seed's two timings, and the median measured here."""

    macs_ratio: float
    epoch_ratio: float
    test_ratio: float
    measured_ratio: float


def seed001_proportionality(report: LatencyReport) -> Proportionality | None:
    """The claim checked, when both of seed 001's networks were timed at their defaults."""
    models = {m.name: m for m in report.models}
    if STANDARD not in models or REDUCED not in models:
        return None
    big, small = models[STANDARD], models[REDUCED]
    return Proportionality(big.macs / small.macs, EPOCH_S[0] / EPOCH_S[1], TEST_S[0] / TEST_S[1],
                           big.median_ms / small.median_ms)


def proportionality_dict(check: Proportionality) -> dict[str, Any]:
    """Plain JSON types, each ratio the first model's over the second's, with the sentence a
    table prints."""
    text = (f"{SEED001_CLAIM}. {STANDARD} / {REDUCED}: MACs {check.macs_ratio:.2f}x; the "
            f"seed's own timings {EPOCH_S[0]} s / {EPOCH_S[1]} s per training epoch = "
            f"{check.epoch_ratio:.2f}x and {TEST_S[0]} s / {TEST_S[1]} s per test pass = "
            f"{check.test_ratio:.0f}x; measured here, one forward pass: "
            f"{check.measured_ratio:.2f}x. Proportional time would give the MACs ratio.")
    return {"statement": SEED001_CLAIM, "models": [STANDARD, REDUCED],
            "macs_ratio": check.macs_ratio, "published_epoch_time_ratio": check.epoch_ratio,
            "published_test_time_ratio": check.test_ratio,
            "measured_time_ratio": check.measured_ratio, "text": text}
