"""The cost lock file: every model's metrics and the per-stage figures they grow in (MACs and
params), as `costlab snapshot` writes them and `costlab check` reads them back."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costlab.__about__ import __version__
from costlab.analyses.measurement import Measurement, measure, select_metrics
from costlab.analyses.metrics import (
    CATALOG,
    Metric,
    counted_metrics,
    default_metrics,
    stage_figures,
)
from costlab.choices import DType, ParamConvention, parse_choice
from costlab.ci.budgets import DEFAULT_LOCKFILE
from costlab.ci.trust import require_trusted
from costlab.errors import CostlabError, LockfileError, OptionError
from costlab.render.files import write_atomic
from costlab.spec.variants import Variant
from costlab.trace.inputs import Input, as_input, parse_input, parse_shape
from costlab.units import Shape

__all__ = ["DEFAULT_LOCKFILE", "LOCK_FORMAT", "LockEntry", "LockFile", "entry_of",
           "lockable_metrics", "snapshot", "refresh", "dump_lock", "write_lock", "load_lock"]

LOCK_FORMAT = 1



@dataclass(frozen=True, slots=True)
class LockEntry:
    """One model as snapshotted: how to rebuild it, every parameter used, and its costs."""

    name: str
    model: str
    settings: Mapping[str, Any]
    batch: int
    inputs: tuple[Input, ...] | None       # --input shapes (and types), for import paths
    config: Mapping[str, Any]
    input_shapes: tuple[Shape, ...]
    metrics: Mapping[str, int]             # metric key -> value
    where: Mapping[str, str]               # metric key -> module, for the memory metrics
    stages: Mapping[str, Mapping[str, int]]  # depth-1 block -> stage figure -> value

    @property
    def variant(self) -> Variant:
        return Variant(self.model, dict(self.settings))


@dataclass(frozen=True)
class LockFile:
    """Entries by name, counted under one parameter convention and one activation dtype."""

    entries: Mapping[str, LockEntry]
    params: ParamConvention
    dtype: DType
    version: str = __version__

    def measure(self, entry: LockEntry) -> Measurement:
        """The entry recomputed now, under the lock file's conventions."""
        return measure(entry.variant, params=self.params, dtype=self.dtype, batch=entry.batch,
                       inputs=entry.inputs, metrics=select_metrics(list(entry.metrics)))


def entry_of(row: Measurement, batch: int = 1,
             inputs: Sequence[Input] | None = None) -> LockEntry:
    """The lock entry of a measurement, with the stage figures its metrics grow in."""
    figures = [m.key for m in stage_figures(CATALOG[k] for k in row.values if k in CATALOG)]
    return LockEntry(row.name, row.model, dict(row.settings), batch,
                     tuple(inputs) if inputs else None, dict(row.config), row.input_shapes,
                     {k: int(v) for k, v in row.values.items()}, dict(row.where),
                     {s.path: {key: getattr(s, key) for key in figures} for s in row.stages})


def lockable_metrics() -> tuple[Metric, ...]:
    """What snapshot locks: the catalog's counted defaults (measured ones are never locked)."""
    return counted_metrics(default_metrics())


def snapshot(variants: Sequence[Variant], *,
             params: ParamConvention | str = ParamConvention.TORCH,
             dtype: DType | str = DType.FP32, batch: int = 1,
             inputs: Sequence[Input] | None = None) -> LockFile:
    """Measures every variant; two arguments naming the same variant are an OptionError."""
    names = [v.name for v in variants]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise OptionError(f"{', '.join(twice)} named twice")
    shapes = tuple(inputs) if inputs else None
    return _measure_all([(v, batch, shapes) for v in variants], params, dtype)


def refresh(lock: LockFile, *, params: ParamConvention | str | None = None,
            dtype: DType | str | None = None, source: Path | str = "the lock file",
            root: Path | None = None, allow_imports: Sequence[str] = ()) -> LockFile:
    """The lock file's own entries measured again (under other conventions if given): what
    to write when a change of cost is meant. An entry that no longer builds is a
    LockfileError naming `source` and the entry, and so is one importing code outside the
    project `root` (default: the working directory) unless `allow_imports` allows it."""
    for name, entry in lock.entries.items():
        require_trusted(entry.model, f"{source}: entry {name!r}", LockfileError,
                        root=root or Path.cwd(), allow=allow_imports)
    requests = [(e.variant, e.batch, e.inputs) for e in lock.entries.values()]
    return _measure_all(requests, params or lock.params, dtype or lock.dtype, source)


def _measure_all(requests: Sequence[tuple[Variant, int, tuple[Input, ...] | None]],
                 params: ParamConvention | str, dtype: DType | str,
                 source: Path | str | None = None) -> LockFile:
    convention, element = parse_choice(ParamConvention, params), parse_choice(DType, dtype)
    entries = {}
    for variant, batch, inputs in requests:
        try:
            row = measure(variant, params=convention, dtype=element, batch=batch,
                          inputs=inputs, metrics=lockable_metrics())
        except CostlabError as exc:
            if source is None:
                raise
            raise LockfileError(f"{source}: entry {variant.name!r}: {exc}") from None
        entries[variant.name] = entry_of(row, batch, inputs)
    return LockFile(entries, convention, element)


def dump_lock(lock: LockFile) -> str:
    """JSON with sorted keys, two-space indents and a final newline: byte-identical for the
    same models and code."""
    data = {
        "format": LOCK_FORMAT,
        "costlab_version": lock.version,
        "conventions": {"params": str(lock.params), "dtype": str(lock.dtype),
                        "metrics": {key: CATALOG[key].means for key in _locked_keys(lock)
                                    if key in CATALOG}},
        "entries": {name: {
            "model": e.model, "settings": dict(e.settings), "batch": e.batch,
            "inputs": [str(as_input(s)) for s in e.inputs] if e.inputs else None,
            "config": dict(e.config), "input_shapes": [_shape(s) for s in e.input_shapes],
            "metrics": dict(e.metrics), "where": dict(e.where),
            "stages": {path: dict(figures) for path, figures in e.stages.items()},
        } for name, e in lock.entries.items()},
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _locked_keys(lock: LockFile) -> list[str]:
    return list(dict.fromkeys(k for e in lock.entries.values() for k in e.metrics))


def write_lock(lock: LockFile, path: Path | str) -> None:
    """Atomically: a concurrent `costlab check` reads the old lock or the new one."""
    write_atomic(path, dump_lock(lock), error=LockfileError)


def load_lock(path: Path | str | os.PathLike[str]) -> LockFile:
    """Reads a lock file back; LockfileError (one line, naming the file) when it is missing,
    not JSON or not in the shape dump_lock writes."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise LockfileError(f"cannot read lock file {path}: {exc.strerror} (write one with "
                            "costlab snapshot MODEL... -o FILE)") from None
    except UnicodeDecodeError:
        raise LockfileError(f"{path}: not UTF-8 text; regenerate it with costlab snapshot"
                            ) from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise LockfileError(f"{path}: nested too deeply to be a costlab lock file; "
                            "regenerate it with costlab snapshot") from None
    except LockfileError as exc:
        raise LockfileError(f"{path}: {exc}; regenerate it with costlab snapshot") from None
    except json.JSONDecodeError as exc:
        raise LockfileError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column "
                            f"{exc.colno}); regenerate it with costlab snapshot") from None
    try:
        return _parse(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LockfileError(f"{path}: not a costlab lock file: {_describe(exc)}; regenerate "
                            "it with costlab snapshot") from None
    except CostlabError as exc:
        raise LockfileError(f"{path}: {exc}") from None


def _no_constant(name: str) -> None:
    raise LockfileError(f"{name} is not a number a lock file holds")


def _describe(exc: Exception) -> str:
    return f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _parse(data: Any) -> LockFile:
    _require(isinstance(data, dict), "the top level is not an object")
    _require(data["format"] == LOCK_FORMAT,
             f"format {data['format']!r}; this costlab reads format {LOCK_FORMAT}")
    conventions, entries = data["conventions"], data["entries"]
    _require(isinstance(entries, dict), "'entries' is not an object")
    parsed = {name: _parse_entry(name, raw) for name, raw in entries.items()}
    return LockFile(parsed, parse_choice(ParamConvention, conventions["params"]),
                    parse_choice(DType, conventions["dtype"]), str(data["costlab_version"]))


def _parse_entry(name: str, raw: Any) -> LockEntry:
    where = f"entry {name!r}"
    _require(isinstance(raw, dict), f"{where} is not an object")
    missing = [key for key in ("model", "settings", "batch", "metrics", "stages")
               if key not in raw]
    _require(not missing, f"{where}: missing key {', '.join(map(repr, missing))}")
    metrics, stages = raw["metrics"], raw["stages"]
    _require(isinstance(metrics, dict) and all(_is_int(v) for v in metrics.values()),
             f"{where}: 'metrics' must map names to integers")
    _require(isinstance(stages, dict) and all(
        isinstance(f, dict) and all(_is_int(v) for v in f.values()) for f in stages.values()),
        f"{where}: 'stages' must map blocks to integer MACs and params")
    _require(isinstance(raw["model"], str) and isinstance(raw["settings"], dict)
             and _is_int(raw["batch"]), f"{where}: bad 'model', 'settings' or 'batch'")
    inputs = raw.get("inputs")
    return LockEntry(name, raw["model"], raw["settings"], raw["batch"],
                     tuple(parse_input(s) for s in inputs) if inputs else None,
                     dict(raw.get("config", {})),
                     tuple(parse_shape(s) for s in raw.get("input_shapes", [])),
                     metrics, {k: str(v) for k, v in raw.get("where", {}).items()}, stages)


def _shape(shape: Shape) -> str:
    return "x".join(map(str, shape))   # as --input takes it: 1x3x224x224


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
