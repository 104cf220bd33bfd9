"""`costlab reproduce`: every paper table rebuilt as markdown, and the drift check."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from costlab.errors import OptionError
from costlab.papers import mobilenet, seed001  # noqa: F401 - registers the tables
from costlab.papers.tables import TABLES, Evaluator, render_report

__all__ = ["select_tables", "reproduce", "Drift", "check_reports"]


def select_tables(names: Sequence[str]) -> list[str]:
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise OptionError(f"unknown table {unknown[0]!r}; tables: {', '.join(sorted(TABLES))}")
    return list(names) or sorted(TABLES)


def reproduce(names: Sequence[str] = (), evaluator: Evaluator | None = None) -> dict[str, str]:
    """slug -> markdown, for the tables named (all by default); `evaluator` shares analyses
    with another caller (the figures), a fresh one otherwise."""
    evaluator = evaluator or Evaluator()
    return {slug: render_report(slug, TABLES[slug](evaluator)) for slug in select_tables(names)}


@dataclass(frozen=True)
class Drift:
    slug: str
    path: Path
    diff: list[str] = field(default_factory=list)


def check_reports(directory: Path, names: Sequence[str] = ()) -> list[Drift]:
    """Reports in `directory` that are missing or differ from what the code computes now."""
    drifts = []
    for slug, text in reproduce(names).items():
        path = directory / f"{slug}.md"
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        if old != text:
            diff = list(difflib.unified_diff(old.splitlines(), text.splitlines(),
                                             f"{path} (committed)", f"{path} (computed)",
                                             lineterm="", n=0))
            drifts.append(Drift(slug, path, diff))
    return drifts
