"""A claim of the source documents, judged against what costlab computes.

A `Claim` is one published figure or statement, where it is printed, what costlab computes
for it, the reading that explains any difference, and a `Verdict` (the vocabulary of
`costlab.analyses.verdicts`, which `costlab report` uses too). Every report lists its claims;
reports/README.md indexes them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from costlab.analyses.verdicts import Verdict

__all__ = ["Claim", "CLAIM_HEADERS"]


CLAIM_HEADERS = ("document", "location", "claim", "published", "computed", "reading",
                 "verdict")


@dataclass(frozen=True)
class Claim:
    """One claim of a source document, judged."""

    document: str      # "000" .. "004", or another source such as "slim"
    location: str      # "Table 3, 112x112", "section 5.1"
    claim: str         # what the document says, in a few words
    published: str     # as printed
    computed: str      # what costlab computes, formatted
    reading: str       # the convention or reading that explains the difference
    verdict: Verdict

    def row(self) -> tuple[str, ...]:
        return (self.document, self.location, self.claim, self.published, self.computed,
                self.reading, str(self.verdict))
