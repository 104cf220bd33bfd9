"""The documents that published the figures specs report (`source:` in a spec's `reported:`
list), cited the way a reader knows them: author or title, year, table. Reports print the
citation; the document's id (the seed file's number) appears only in a footnote."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Source", "SOURCES", "cite", "sources_note"]


@dataclass(frozen=True, slots=True)
class Source:
    """One document: `short` as a table cell cites it, `about` as the footnote describes it."""

    key: str
    short: str
    about: str


# The five seed documents (shared/seeds/README.md) and the authors' checkpoint tables. None
# names a year it can be trusted for: 001 is dated 2012 in its text but cites work of 2020,
# and the others carry no date, so no year is printed rather than a guessed one.
SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("000", "Lee", "D. Lee (Inha University), slides (Korean) on MobileNetV2"),
    Source("001", "Dominguez", "N. Dominguez, 'MobileNetV2: The Same but Better'"),
    Source("002", "V1/V2 notes", "anonymous notes on MobileNet V1/V2"),
    Source("003", "V2 slides (zh)", "anonymous slides (Chinese) on MobileNetV2"),
    Source("004", "DL Bible", "'Deep Learning Bible', a book chapter on MobileNet V1/V2"),
    Source("slim", "TF-slim", "the checkpoint tables of the TF-slim MobileNet README, by the "
                              "papers' authors (Howard et al. 2017, Sandler et al. 2018)"),
)}


def cite(source: str, table: str = "", with_id: bool = False) -> str:
    """`Lee, Table 4`; a source not listed (`LeCun et al. 1998`) as it is written. `with_id`,
    for a line that is a footnote already: `Lee, Table 4 (document 000)`."""
    known = SOURCES.get(str(source))
    name = known.short if known else str(source)
    text = f"{name}, {table}" if table else name
    return f"{text} ({_id(known.key)})" if with_id and known else text


def sources_note(keys: Iterable[str]) -> str:
    """The footnote naming every listed source among `keys` by its document id, or ""."""
    known = [SOURCES[k] for k in dict.fromkeys(map(str, keys)) if k in SOURCES]
    if not known:
        return ""
    listed = "; ".join(f"{s.short} = {_id(s.key)}: {s.about}" for s in known)
    return f"sources: {listed}"


def _id(key: str) -> str:
    return f"document {key}" if key.isdigit() else f"'{key}'"
