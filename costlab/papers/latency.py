"""Seed 001's claim that time is proportional to MACs (section 5.2), judged with the seed's
own timings and with the latency measured here; MobileNetV2's Table 4 latencies come from the
specs' `latency_ms` entries (costlab.analyses.latency)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from costlab.analyses.latency import LatencyReport

__all__ = ["SEED001_CLAIM", "Proportionality", "seed001_proportionality", "claim_dict"]

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
    """The claim judged, when both of seed 001's networks were timed at their defaults."""
    models = {m.name: m for m in report.models}
    if STANDARD not in models or REDUCED not in models:
        return None
    big, small = models[STANDARD], models[REDUCED]
    return Proportionality(big.macs / small.macs, EPOCH_S[0] / EPOCH_S[1], TEST_S[0] / TEST_S[1],
                           big.median_ms / small.median_ms)


def claim_dict(claim: Proportionality) -> dict[str, Any]:
    """Plain JSON types, with the sentence a table prints."""
    text = (f"{SEED001_CLAIM}. {STANDARD} / {REDUCED}: MACs {claim.macs_ratio:.2f}x; the "
            f"seed's own timings {EPOCH_S[0]} s / {EPOCH_S[1]} s per training epoch = "
            f"{claim.epoch_ratio:.2f}x and {TEST_S[0]} s / {TEST_S[1]} s per test pass = "
            f"{claim.test_ratio:.0f}x; measured here, one forward pass: "
            f"{claim.measured_ratio:.2f}x. Proportional time would give the MACs ratio.")
    return {"claim": SEED001_CLAIM, "macs_ratio": claim.macs_ratio,
            "seed_epoch_ratio": claim.epoch_ratio, "seed_test_ratio": claim.test_ratio,
            "measured_ratio": claim.measured_ratio, "text": text}
