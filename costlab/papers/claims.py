"""A claim of the source documents, judged against what costlab computes.

A `Claim` is one published figure or statement, where it is printed, what costlab computes
for it, the reading that explains any difference, and a `Verdict` (the vocabulary of
`costlab.analyses.verdicts`, which `costlab report` uses too). Its fields bear the names of
the published-vs-computed record (costlab.analyses.published); a claim on a spec's
`reported:` figure is made from that record (`claim_from`). Every report lists its claims;
reports/README.md indexes them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from costlab.analyses.published import Comparison
from costlab.analyses.verdicts import Verdict

__all__ = ["Claim", "CLAIM_HEADERS", "claim_from"]


# The reports' column headers (reports/ is compared byte for byte): `document` shows `source`,
# `location` shows `table`.
CLAIM_HEADERS = ("document", "location", "claim", "published", "computed", "reading",
                 "verdict")


@dataclass(frozen=True)
class Claim:
    """One claim of a source document, judged."""

    source: str        # "000" .. "004", or another source such as "slim"
    table: str         # where in it: "Table 3, 112x112", "section 5.1", "text"
    claim: str         # what the document says, in a few words
    published: str     # as printed
    computed: str      # what costlab computes, as the report prints it (a statement's is text)
    reading: str       # the convention or reading that explains the difference
    verdict: Verdict

    def row(self) -> tuple[str, ...]:
        return (self.source, self.table, self.claim, self.published, self.computed,
                self.reading, str(self.verdict))


def claim_from(judged: Comparison, claim: str, table: str) -> Claim:
    """The claim a judged `reported:` figure makes: its record, with the computed value
    printed beside the convention it is counted under."""
    return Claim(judged.entry.source, table, claim, judged.entry.published,
                 f"{judged.computed:,} ({judged.convention})", judged.reading,
                 Verdict(judged.verdict))
