"""Recompute a lock file and the budgets: which metric of which model grew past the tolerance
or its budget, and the stage where it grew most."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from costlab.__about__ import __version__
from costlab.analyses.measurement import Measurement, measure, select_metrics
from costlab.analyses.metrics import CATALOG, Metric, counted_metrics
from costlab.ci.budgets import Budget, ProjectConfig, load_config
from costlab.ci.lockfile import LockEntry, LockFile, load_lock
from costlab.ci.trust import require_trusted
from costlab.errors import ConfigError, CostlabError, LockfileError, OptionError
from costlab.spec.variants import parse_variant

__all__ = ["StageChange", "MetricCheck", "CheckResult", "grew_most", "metric_checks",
           "run_check"]


@dataclass(frozen=True, slots=True)
class StageChange:
    """A stage's figure (MACs or params) then and now; `old` is None without a lock entry."""

    stage: str
    figure: str
    old: int | None
    new: int


@dataclass(frozen=True, slots=True)
class MetricCheck:
    """One metric of one model: the locked and the current value, the budget, and where."""

    model: str
    metric: Metric
    old: int | None          # None: not in the lock file (a budget alone)
    new: int
    tolerance_pct: float
    budget: int | None = None
    stage: StageChange | None = None   # where it grew most (or the largest stage, without old)
    where_old: str = ""                # the module of a memory figure, then and now
    where_new: str = ""

    @property
    def change_pct(self) -> float | None:
        return None if not self.old else (self.new - self.old) / self.old * 100

    @property
    def changed(self) -> bool:
        return self.old is not None and self.new != self.old

    @property
    def grew(self) -> bool:
        """Grew by more than the tolerance (a percentage of the locked value)."""
        return self.old is not None and self.new * 100 > self.old * (100 + self.tolerance_pct)

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.new > self.budget

    @property
    def failed(self) -> bool:
        return self.grew or self.over_budget


@dataclass(frozen=True)
class CheckResult:
    """Every metric checked, the lock file read (if any) and what else changed."""

    rows: tuple[MetricCheck, ...]
    lockfile: Path | None
    lock: LockFile | None
    tolerance_pct: float
    notes: tuple[str, ...] = ()

    @property
    def failures(self) -> tuple[MetricCheck, ...]:
        return tuple(row for row in self.rows if row.failed)

    @property
    def failed(self) -> bool:
        return bool(self.failures)


def grew_most(old: Mapping[str, Mapping[str, int]] | None, now: Measurement,
              figure: str) -> StageChange | None:
    """The stage whose `figure` grew most since `old` (a lock entry's stages); without `old`,
    the stage with the most of it."""
    best: StageChange | None = None
    for stage in now.stages:
        value = getattr(stage, figure)
        before = None if old is None else old.get(stage.path, {}).get(figure, 0)
        change = StageChange(stage.path, figure, before, value)
        if best is None or _growth(change) > _growth(best):
            best = change
    return best


def _growth(change: StageChange) -> int:
    return change.new - (change.old or 0)


def metric_checks(now: Measurement, old: LockEntry | None, limits: Mapping[str, int],
                  tolerance_pct: float) -> list[MetricCheck]:
    """A check for every metric locked in `old` or limited in `limits` (metric key -> max)."""
    checks = []
    for metric in counted_metrics(CATALOG[k] for k in now.values if k in CATALOG):
        before = old.metrics.get(metric.key) if old is not None else None
        if before is None and metric.key not in limits:
            continue
        stage = None if metric.stage_key is None else \
            grew_most(old.stages if old is not None else None, now, metric.stage_key)
        checks.append(MetricCheck(
            now.name, metric, before, int(now.values[metric.key]), tolerance_pct,
            limits.get(metric.key), stage,
            old.where.get(metric.key, "") if old is not None else "",
            now.where.get(metric.key, "")))
    return checks


_MISSING = object()


def _notes(name: str, entry: LockEntry, now: Measurement) -> list[str]:
    notes = []
    changed = [f"{k} added ({now.config[k]!r})" if k not in entry.config else
               f"{k} removed (was {entry.config[k]!r})" if k not in now.config else
               f"{k} {entry.config[k]!r} -> {now.config[k]!r}"
               for k in dict.fromkeys([*entry.config, *now.config])
               if entry.config.get(k, _MISSING) != now.config.get(k, _MISSING)]
    if changed:
        notes.append(f"{name}: parameters changed: {', '.join(changed)}")
    if entry.input_shapes and tuple(entry.input_shapes) != tuple(now.input_shapes):
        notes.append(f"{name}: input shapes changed")
    if now.unsupported:
        listed = ", ".join(f"{op} x{n}" for op, n in now.unsupported.items())
        notes.append(f"{name}: ops without a cost rule, not counted: {listed}")
    return notes


def run_check(lockfile: Path | str | None = None, *, config: ProjectConfig | None = None,
              tolerance_pct: float | None = None,
              allow_imports: Sequence[str] = ()) -> CheckResult:
    """Recomputes every entry of the lock file and every budget of `config`.

    `lockfile` defaults to the config's (`costlab.lock.json` beside pyproject.toml); when that
    does not exist, the budgets alone are checked. An import path named by the lock file or
    a budget runs only when ci/trust.py allows it (`allow_imports` adds patterns to the
    config's); otherwise nothing runs. Bad input (a corrupted lock file, a model that no
    longer exists, a bad budget) raises a CostlabError naming the file and entry.
    """
    config = config or load_config()
    tolerance = config.tolerance_pct if tolerance_pct is None else tolerance_pct
    if not math.isfinite(tolerance) or tolerance < 0:
        raise OptionError(f"tolerance must be a finite percentage of at least 0, got "
                          f"{tolerance}")
    allow = (*config.allow_imports, *allow_imports)
    path: Path | None = Path(lockfile) if lockfile is not None else config.lockfile
    if lockfile is None and not config.lockfile.exists() and config.budgets:
        path = None
    budgets = _budgets_by_name(config, allow)
    rows: list[MetricCheck] = []
    notes: list[str] = []
    lock = None
    if path is not None:
        lock = load_lock(path)
        if lock.version != __version__:
            notes.append(f"{path} was written by costlab {lock.version}; this is {__version__}")
        # Budgets join a lock entry's rows only when both count under the same conventions.
        joined = budgets if (lock.params, lock.dtype) == (config.params, config.dtype) else {}
        for name, entry in lock.entries.items():
            require_trusted(entry.model, f"{path}: entry {name!r}", LockfileError,
                            root=config.root, allow=allow)
        for name, entry in lock.entries.items():
            budget = joined.pop(name, None)
            wanted = list(dict.fromkeys([*entry.metrics, *(budget.limits if budget else {})]))
            try:
                now = measure(entry.variant, params=lock.params, dtype=lock.dtype,
                              batch=entry.batch, inputs=entry.inputs,
                              metrics=select_metrics(wanted))
            except CostlabError as exc:
                raise LockfileError(f"{path}: entry {name!r}: {exc}") from None
            rows += metric_checks(now, entry, budget.limits if budget else {}, tolerance)
            notes += _notes(name, entry, now)
    for budget in budgets.values():
        try:
            now = measure(parse_variant(budget.model), params=config.params, dtype=config.dtype,
                          metrics=select_metrics(list(budget.limits)))
        except CostlabError as exc:
            raise ConfigError(f"{config.path}: budget for {budget.model!r}: {exc}") from None
        rows += metric_checks(now, None, budget.limits, tolerance)
    return CheckResult(tuple(rows), path, lock, tolerance, tuple(notes))


def _budgets_by_name(config: ProjectConfig, allow: Sequence[str]) -> dict[str, Budget]:
    """Budgets keyed by the canonical variant name, the key lock entries have."""
    named: dict[str, Budget] = {}
    for budget in config.budgets:
        try:
            name = parse_variant(budget.model).name
        except CostlabError as exc:
            raise ConfigError(f"{config.path}: budget for {budget.model!r}: {exc}") from None
        require_trusted(parse_variant(budget.model).model, f"{config.path}: budget",
                        ConfigError, root=config.root, allow=allow)
        if name in named:
            raise ConfigError(f"{config.path}: two budgets for {name}")
        named[name] = budget
    return named
