"""What `costlab list` shows of each spec (name, title, aliases, parameter defaults), kept in
the user's cache directory by file, size and modification time: once the specs have been
validated, listing them reads neither YAML nor imports pydantic (0.18 s of a 0.3 s command).
A spec that changed, or one not seen before, is validated again, as `load_spec` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from costlab.__about__ import __version__
from costlab.render.files import cache_dir, read_cache, write_cache

__all__ = ["SpecSummary", "summaries"]

_CACHE_FILE = "spec-summaries.json"
_FORMAT = 1   # bump when SpecSummary changes


@dataclass(frozen=True, slots=True)
class SpecSummary:
    """One line of `costlab list`."""

    name: str                               # as the spec names itself
    stem: str                               # the file's stem, its name in commands
    title: str
    aliases: tuple[str, ...]
    defaults: tuple[tuple[str, str], ...]   # parameter -> its default, as printed

    def line(self) -> str:
        params = " ".join(f"{k}={v}" for k, v in self.defaults)
        return f"{self.name:<26} {self.title:<30} {params}"


def _stamp(path: Path) -> list[int | str]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, __version__, _FORMAT]


def _from_entry(entry: dict[str, Any]) -> SpecSummary | None:
    try:
        return SpecSummary(str(entry["name"]), str(entry["stem"]), str(entry["title"]),
                           tuple(map(str, entry["aliases"])),
                           tuple((str(k), str(v)) for k, v in entry["defaults"]))
    except (KeyError, TypeError, ValueError):
        return None   # a cache from another costlab, or edited by hand: validate again


def _as_json(summary: SpecSummary) -> dict[str, Any]:
    """The entry as JSON reads it back (lists), so an unchanged cache compares equal."""
    record: dict[str, Any] = json.loads(json.dumps(asdict(summary)))
    return record


def summaries(paths: Iterable[Path], validate: Callable[[Path], SpecSummary | None]
              ) -> list[SpecSummary]:
    """The summaries of the specs that load: from the cache where the file is unchanged, else
    from `validate` (None for a spec that does not load, which is left out and not kept)."""
    store = cache_dir() / _CACHE_FILE
    cached, fresh = read_cache(store), {}
    found: list[SpecSummary] = []
    for path in paths:
        key, stamp = str(path.resolve()), _stamp(path)
        entry = cached.get(key)
        summary = _from_entry(entry) if isinstance(entry, dict) and \
            entry.get("stamp") == stamp else None
        summary = summary or validate(path)
        if summary is None:
            continue
        found.append(summary)
        fresh[key] = {"stamp": stamp, **_as_json(summary)}
    if fresh != {k: cached.get(k) for k in fresh}:
        write_cache(store, {**cached, **fresh})
    return found
