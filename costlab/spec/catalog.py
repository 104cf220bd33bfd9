"""Find specs by name: the directories searched, the names found, aliases. No torch here, and
the schema (yaml, pydantic) is imported only when a spec is read, so `costlab list` starts at
once from the cached summaries."""

from __future__ import annotations

import difflib
import fnmatch
import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from costlab.errors import ModelLoadError, SpecError
from costlab.spec.summaries import SpecSummary, summaries

if TYPE_CHECKING:
    from costlab.spec.schema import ArchSpec

__all__ = ["spec_dirs", "find_specs", "load_specs", "load_named_spec", "match_specs",
           "SpecWarning", "SpecSummary"]


def spec_dirs() -> list[Path]:
    """Where spec names are looked up: $COSTLAB_SPECS, ./specs, then the bundled specs/."""
    dirs = [Path(p) for p in os.environ.get("COSTLAB_SPECS", "").split(os.pathsep) if p]
    dirs += [Path.cwd() / "specs", Path(__file__).resolve().parents[2] / "specs"]
    unique: list[Path] = []
    for directory in dirs:
        if directory.is_dir() and directory.resolve() not in [u.resolve() for u in unique]:
            unique.append(directory)
    return unique


def _normalize(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def find_specs() -> dict[str, Path]:
    """Spec name -> file, first directory winning; names are the files' stems."""
    found: dict[str, Path] = {}
    for directory in spec_dirs():
        for path in sorted(directory.glob("*.yaml")):
            found.setdefault(path.stem, path)
    return dict(sorted(found.items()))


def load_specs(paths: Iterable[Path]) -> Iterator[ArchSpec]:
    """The specs that load; one that does not is skipped with a warning naming the file and
    the problem, so that one broken file in specs/ breaks neither `list` nor name lookup."""
    from costlab.spec.schema import load_spec
    for path in paths:
        try:
            yield load_spec(path)
        except SpecError as exc:
            warnings.warn(f"skipping {exc}", SpecWarning, stacklevel=2)


class SpecWarning(UserWarning):
    """A spec in a searched directory could not be read and was skipped."""


def load_named_spec(name: str) -> ArchSpec:
    """Loads a spec by name or alias (`mobilenet_v2` finds mobilenetv2) or by file path."""
    from costlab.spec.schema import load_spec
    if name.endswith((".yaml", ".yml")) or os.sep in name:
        if not Path(name).is_file():
            raise ModelLoadError(f"no spec file {name!r}")
        return load_spec(name)
    specs = find_specs()
    wanted = _normalize(name)
    for stem, path in specs.items():
        if _normalize(stem) == wanted:
            return load_spec(path)
    for spec in load_specs(specs.values()):
        if wanted in {_normalize(a) for a in spec.aliases}:
            return spec
    close = difflib.get_close_matches(name, list(specs), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else \
        f"; known specs: {', '.join(specs) or 'none'} (or give a file or package.module:callable)"
    raise ModelLoadError(f"unknown model {name!r}{hint}")


def _summary(path: Path) -> SpecSummary | None:
    for spec in load_specs([path]):
        return SpecSummary(spec.name, path.stem, spec.title, tuple(spec.aliases),
                           tuple((p.name, str(p.default)) for p in spec.params.values()))
    return None


def match_specs(pattern: str = "") -> list[SpecSummary]:
    """Specs whose name, alias or title contains `pattern` (case and `_`/`-` ignored), or
    matches it as a glob (`mobilenet*`); every spec for an empty pattern. ModelLoadError with
    close matches when none does. Summaries, validated once per version of each file."""
    wanted = _normalize(pattern)
    glob = any(c in pattern for c in "*?[")
    specs = find_specs()
    found = []
    for summary in summaries(specs.values(), _summary):   # a broken spec: a warning, skipped
        names = [summary.stem, *summary.aliases]
        if glob:
            hit = any(fnmatch.fnmatch(n.lower(), pattern.lower()) for n in names)
        else:
            hit = any(wanted in _normalize(n) for n in [*names, summary.title])
        if hit:
            found.append(summary)
    if not found:
        close = difflib.get_close_matches(pattern, list(specs), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else \
            f"; the specs are {', '.join(specs) or 'none'}"
        raise ModelLoadError(f"no spec matches {pattern!r}{hint}")
    return found
