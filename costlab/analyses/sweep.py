"""`costlab sweep`: the cost of every configuration of a design space, one row each.

A sweep is a definition (model, grid lists, sampled ranges with a seed, shared settings,
metrics, conventions) expanded into configurations in a fixed order; each configuration is
measured on its own by the pure `evaluate`, so rows are identical whoever computes them: this
process, a local process pool, or a Dask cluster's workers. A configuration that fails becomes
a row with its one-line error; Ctrl-C keeps the rows finished so far.

Costs are memoized across configurations (analyses/sweep_cache.py): a spec is a chain of
blocks, and a block is a function of its builder, arguments, input shape and the channel
counts the width multiplier gave it, so a block seen before is looked up, not built and traced
again, and a configuration whose blocks were all seen traces nothing. Each figure of a row is
composed from the blocks' parts only where that is exact (sums; the peak as the largest block
peak; Table 3's per-resolution maxima with views of a block's input deduplicated as the whole
trace does); a block that breaks a condition (a batch norm on the previous block's output, a
storage that crosses blocks at another size), a metric that needs more than the forward trace
(latency, training MACs), an import-path or zoo model, and any error go to the full `measure`,
so every row equals the full analysis of its configuration. Each process keeps its own cache;
pool and cluster tasks are chunks of consecutive configurations.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from costlab.analyses.measurement import measure, select_metrics
from costlab.analyses.metrics import CATALOG
from costlab.analyses.published import PUBLISHED_METRICS as COMPUTABLE
from costlab.analyses.published import Comparison, published_record, variant_matches
from costlab.analyses.sweep_cache import WORKER_CACHE, BlockCache, compose
from costlab.errors import OptionError, first_line
from costlab.spec.catalog import load_named_spec
from costlab.spec.schema import ArchSpec, Scalar, resolve_params
from costlab.spec.variants import Variant, parse_setting

__all__ = ["Range", "SweepDefinition", "SweepRow", "SweepResult", "parse_grid", "parse_range",
           "configurations", "evaluate", "evaluate_many", "run_sweep", "pareto_front",
           "published_columns", "spec_of", "IN_PROCESS_MAX", "SCHEDULER_ENV"]

IN_PROCESS_MAX = 8               # sweeps up to this many configurations run in this process
CHUNK_MAX = 32                   # configurations per pool or cluster task, at most
SCHEDULER_ENV = "COSTLAB_SCHEDULER"
CONNECT_TIMEOUT_S = 5.0       # to reach a scheduler, and for it to have a worker
FLOAT_DIGITS = 4                 # sampled floats without a step are rounded to this many


@dataclass(frozen=True, slots=True)
class Range:
    """`KEY=LO:HI[:STEP]`: a sampled parameter; integers when LO, HI (and STEP) are."""

    low: float
    high: float
    step: float | None = None

    @property
    def integer(self) -> bool:
        return all(float(v).is_integer() and not isinstance(v, float)
                   for v in (self.low, self.high, *(() if self.step is None else (self.step,))))

    def draw(self, rng: random.Random) -> Scalar:
        if self.step is not None:
            count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
            value = self.low + rng.randrange(count) * self.step
            return int(value) if self.integer else round(value, 10)
        if self.integer:
            return rng.randint(int(self.low), int(self.high))
        return round(rng.uniform(self.low, self.high), FLOAT_DIGITS)

    def text(self) -> str:
        parts = [self.low, self.high] + ([] if self.step is None else [self.step])
        return ":".join(str(p) for p in parts)


def _number(raw: str, what: str) -> int | float:
    try:
        value = parse_setting(f"x={raw}")[1]
    except OptionError:
        value = raw
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OptionError(f"bad {what} {raw!r}: not a number")
    return value


def parse_grid(text: str) -> tuple[str, tuple[Scalar, ...]]:
    """`alpha=0.5,1.0` -> ("alpha", (0.5, 1.0)); values read as Python literals."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise OptionError(f"bad --grid {text!r}; write it as KEY=V1,V2,...")
    values = tuple(parse_setting(f"{key}={v}")[1] for v in raw.split(",") if v.strip())
    if not values:
        raise OptionError(f"--grid {key}= has no values; write it as {key}=V1,V2,...")
    return key, values


def parse_range(text: str) -> tuple[str, Range]:
    """`resolution=96:224:32` -> ("resolution", Range(96, 224, 32))."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    parts = raw.split(":")
    if not sep or not key or len(parts) not in (2, 3):
        raise OptionError(f"bad --range {text!r}; write it as KEY=LO:HI or KEY=LO:HI:STEP")
    low, high = _number(parts[0], f"--range {key} low"), _number(parts[1], f"--range {key} high")
    step = _number(parts[2], f"--range {key} step") if len(parts) == 3 else None
    if high < low:
        raise OptionError(f"--range {key}={raw}: the high end is below the low end")
    if step is not None and step <= 0:
        raise OptionError(f"--range {key}={raw}: the step must be positive")
    return key, Range(low, high, step)


@dataclass(frozen=True)
class SweepDefinition:
    """Everything a sweep's rows depend on; JSON output embeds it, `--from` reads it back."""

    model: str
    grid: tuple[tuple[str, tuple[Scalar, ...]], ...] = ()
    ranges: tuple[tuple[str, Range], ...] = ()
    sample: int | None = None
    seed: int = 0
    settings: Mapping[str, Any] = field(default_factory=dict)
    metrics: tuple[str, ...] | None = None
    params: str = "torch"
    dtype: str = "fp32"

    @property
    def keys(self) -> tuple[str, ...]:
        """The swept parameters, grid first, in the order given."""
        return tuple(dict.fromkeys([k for k, _ in self.grid] + [k for k, _ in self.ranges]))

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "grid": {k: list(v) for k, v in self.grid},
                "range": {k: r.text() for k, r in self.ranges}, "sample": self.sample,
                "seed": self.seed, "set": dict(self.settings),
                "metrics": None if self.metrics is None else list(self.metrics),
                "params": self.params, "dtype": self.dtype}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepDefinition:
        """The definition of a sweep's JSON; OptionError naming what is missing or wrong."""
        try:
            grid = tuple((str(k), tuple(v)) for k, v in dict(data.get("grid") or {}).items())
            ranges = tuple(parse_range(f"{k}={v}") for k, v in
                           dict(data.get("range") or {}).items())
            metrics = data.get("metrics")
            return cls(str(data["model"]), grid, ranges, data.get("sample"),
                       int(data.get("seed", 0)), dict(data.get("set") or {}),
                       None if metrics is None else tuple(metrics),
                       str(data.get("params", "torch")), str(data.get("dtype", "fp32")))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise OptionError(f"not a sweep definition: {first_line(exc)}") from None


def spec_of(model: str) -> ArchSpec | None:
    """The spec a MODEL names, or None for an import path (its settings are not checked)."""
    if ":" in model and not model.endswith((".yaml", ".yml")):
        return None
    return load_named_spec(model)


def configurations(definition: SweepDefinition) -> list[dict[str, Scalar]]:
    """The swept settings of every configuration, in order: the grid's product (first key
    slowest), or `sample` draws from a Random(seed) (grid keys pick from their lists).

    Raises OptionError for an empty sweep, a key given twice, a key the spec does not have or
    a value outside the spec's range, before anything is measured.
    """
    grid_keys = [k for k, _ in definition.grid]
    range_keys = [k for k, _ in definition.ranges]
    for key in grid_keys + range_keys:
        if (grid_keys + range_keys).count(key) > 1:
            raise OptionError(f"{key} is swept twice; give it one --grid or --range")
        if key in definition.settings:
            raise OptionError(f"{key} is both swept and --set; give it one of them")
    if definition.sample is None:
        if definition.ranges:
            raise OptionError("--range draws values: give --sample N (and --seed S)")
        if not definition.grid:
            raise OptionError("nothing to sweep: give --grid KEY=V1,V2,... or --sample N "
                              "with --range KEY=LO:HI")
        configs = [dict(zip(grid_keys, values, strict=True))
                   for values in itertools.product(*(v for _, v in definition.grid))]
    else:
        if definition.sample < 1:
            raise OptionError(f"--sample must be at least 1, got {definition.sample}")
        if not definition.grid and not definition.ranges:
            raise OptionError("--sample needs --range KEY=LO:HI[:STEP] (or --grid) to draw from")
        rng = random.Random(definition.seed)
        configs = []
        for _ in range(definition.sample):
            config: dict[str, Scalar] = {}
            for key, values in definition.grid:
                config[key] = values[rng.randrange(len(values))]
            for key, span in definition.ranges:
                config[key] = span.draw(rng)
            configs.append(config)
    spec = spec_of(definition.model)
    if spec is not None:
        checked: set[tuple[str, str]] = set()
        for config in configs:
            for key, value in {**definition.settings, **config}.items():
                if (key, repr(value)) not in checked:
                    resolve_params(spec, {key: value})
                    checked.add((key, repr(value)))
    return configs


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One configuration: its swept settings, every parameter used, the metrics, the
    published figures judged (the records of costlab.analyses.published, plain data that
    pickles to a worker and back), or the error."""

    settings: Mapping[str, Scalar]
    config: Mapping[str, Scalar] = field(default_factory=dict)
    values: Mapping[str, int | float] = field(default_factory=dict)
    published: tuple[Mapping[str, Any], ...] = ()
    error: str = ""


def evaluate(model: str, settings: Mapping[str, Any], metrics: Sequence[str] | None,
             params: str, dtype: str, cache: BlockCache | None = None) -> SweepRow:
    """Measures one configuration; any failure becomes the row's one-line error. A plain
    module-level function so that process pools and Dask workers can run it.

    The row is composed from the costs of its blocks, kept in `cache` (this process's
    WORKER_CACHE by default) across configurations, where they compose exactly
    (analyses/sweep_cache.py); otherwise, and for any error, it comes from `measure`."""
    swept = dict(settings)
    cache = WORKER_CACHE if cache is None else cache
    try:
        composed = compose(model, swept, metrics, params, dtype, cache)
    except Exception:   # noqa: BLE001 - the full analysis below gives the row its error
        composed = None
    if composed is not None:
        return SweepRow(swept, dict(composed.config), dict(composed.values),
                        _judged(composed.published))
    cache.stats.full += 1
    try:
        chosen = select_metrics(metrics)
        result = measure(Variant(model, swept), params=params, dtype=dtype, metrics=chosen)
    except Exception as exc:   # noqa: BLE001 - a failing configuration is a row, not a crash
        return SweepRow(swept, error=f"{type(exc).__name__}: {first_line(exc)}")
    return SweepRow(swept, dict(result.config), dict(result.values), _judged(result.published))


def _judged(published: Sequence[Comparison]) -> tuple[dict[str, Any], ...]:
    """The records of the figures for the whole configuration (per-resolution memory figures
    are `costlab memory`'s)."""
    return tuple(published_record(c) for c in published if not c.entry.at)


Task = tuple[str, Mapping[str, Any], "tuple[str, ...] | None", str, str]


def evaluate_many(tasks: Sequence[Task]) -> list[SweepRow]:
    """`evaluate` of several configurations in one task: a pool's or a cluster's per-task
    overhead is paid once per chunk, and the chunk shares its worker's block cache."""
    return [evaluate(*task) for task in tasks]


@dataclass(frozen=True)
class SweepResult:
    """The rows of a sweep in configuration order; `complete` is False after Ctrl-C."""

    definition: SweepDefinition
    rows: tuple[SweepRow, ...]
    total: int
    complete: bool
    executor: str


SweepProgress = Callable[[int, int], None]


def _scheduler_client(address: str) -> Any:
    """A dask.distributed Client on `address`, checked to reach workers that have costlab."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise OptionError("--scheduler needs dask.distributed: pip install "
                          "'costlab[dist]'") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise OptionError(f"cannot reach the Dask scheduler {address}: "
                          f"{first_line(exc)}") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise OptionError(f"the Dask scheduler {address} has no workers (start one with "
                          f"`dask worker {address}`): {first_line(exc)}") from None
    try:
        client.run(_worker_ready)
    except Exception as exc:   # noqa: BLE001 - whatever the worker raised, one line
        client.close()
        raise OptionError(f"the Dask workers of {address} cannot run costlab (is it installed "
                          f"there?): {first_line(exc)}") from None
    return client


def _worker_ready() -> bool:
    """Run on every Dask worker: unpickling it imports costlab there."""
    return True


def _chunks(tasks: Sequence[Task], workers: int) -> list[list[Task]]:
    """Consecutive chunks, about 16 per worker (at most CHUNK_MAX configurations each), so
    that progress and Ctrl-C stay fine-grained while per-task overhead is shared."""
    size = max(1, min(CHUNK_MAX, len(tasks) // (16 * max(1, workers))))
    return [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]


def _futures(definition: SweepDefinition, configs: Sequence[Mapping[str, Scalar]],
             workers: int | None, scheduler: str | None
             ) -> tuple[str, Any, list[tuple[Any, int]]]:
    tasks: list[Task] = [(definition.model, {**config, **definition.settings},
                          definition.metrics, definition.params, definition.dtype)
                         for config in configs]
    if scheduler:
        client = _scheduler_client(scheduler)
        count = len(client.scheduler_info().get("workers", {})) or 1
        # A key names a result on the scheduler: one another client (or an earlier sweep)
        # still holds would be handed back instead of this sweep's rows.
        run = uuid.uuid4().hex[:12]
        futures = [(client.submit(evaluate_many, chunk, pure=False,
                                  key=f"costlab-sweep-{run}-{i}"), len(chunk))
                   for i, chunk in enumerate(_chunks(tasks, count))]
        return f"dask {scheduler}", client, futures
    size = workers if workers is not None else (
        1 if len(tasks) <= IN_PROCESS_MAX else (os.cpu_count() or 1))
    if size <= 1:
        return "in process", None, []
    size = min(size, len(tasks))
    pool = ProcessPoolExecutor(max_workers=size)
    return f"{size} local processes", pool, [(pool.submit(evaluate_many, chunk), len(chunk))
                                             for chunk in _chunks(tasks, size)]


def _in_order(definition: SweepDefinition, configs: Sequence[Mapping[str, Scalar]],
              futures: list[tuple[Any, int]]) -> Iterator[SweepRow]:
    if not futures:
        for config in configs:
            yield evaluate(definition.model, {**config, **definition.settings},
                           definition.metrics, definition.params, definition.dtype)
        return
    done = 0
    for future, size in futures:
        try:
            rows = future.result()
        except Exception as exc:   # noqa: BLE001 - a lost worker fails its rows, not the sweep
            error = f"{type(exc).__name__}: {first_line(exc)}"
            rows = [SweepRow({**config, **definition.settings}, error=error)
                    for config in configs[done:done + size]]
        done += size
        yield from rows


def run_sweep(definition: SweepDefinition, *, workers: int | None = None,
              scheduler: str | None = None, progress: SweepProgress | None = None) -> SweepResult:
    """Measures every configuration, in order whatever runs them: in this process for small
    sweeps (or `workers=1`), a local process pool of `workers` (the cores by default), or the
    Dask scheduler at `scheduler` (`$COSTLAB_SCHEDULER` when None)."""
    configs = configurations(definition)
    scheduler = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV) or None
    executor, owner, futures = _futures(definition, configs, workers, scheduler)
    rows: list[SweepRow] = []
    complete = False
    try:
        for row in _in_order(definition, configs, futures):
            rows.append(row)
            if progress is not None:
                progress(len(rows), len(configs))
        complete = True
    except KeyboardInterrupt:
        for future, _ in futures:
            future.cancel()
    finally:
        if isinstance(owner, ProcessPoolExecutor):
            owner.shutdown(wait=complete, cancel_futures=True)
        elif owner is not None:
            owner.close()
    return SweepResult(definition, tuple(rows), len(configs), complete, executor)


def published_columns(spec: ArchSpec | None, rows: Sequence[SweepRow]
                      ) -> tuple[list[str], list[dict[str, Any]]]:
    """Published figures costlab cannot compute (top-1 accuracy, latency on a phone), joined to
    the rows whose configuration they were reported for: the first entry in spec order wins,
    and `<metric>_source` names it. A column takes the metric's key, or `published_<key>`
    when the catalog has a metric of that key."""
    if spec is None:
        return [], [{} for _ in rows]
    entries = [e for e in spec.reported if e.metric not in COMPUTABLE and not e.at]
    names = {e.metric: f"published_{e.metric}" if e.metric in CATALOG else e.metric
             for e in entries}
    joined: list[dict[str, Any]] = []
    for row in rows:
        found: dict[str, Any] = {}
        if not row.error:
            for entry in entries:
                name = names[entry.metric]
                if name not in found and variant_matches(spec, entry, row.config):
                    found[name] = entry.value
                    found[f"{name}_source"] = f"{entry.source} {entry.table}".strip()
        joined.append(found)
    present = [n for n in dict.fromkeys(names.values()) if any(n in j for j in joined)]
    return present, joined


def pareto_front(points: Sequence[tuple[float, float]], maximize_y: bool = True) -> list[int]:
    """Indices of the points no other point dominates, with x minimized and y maximized (or
    minimized): a point is dominated when another is at least as good on both and better on
    one. Sorted by x; duplicates of a front point are all on the front."""
    sign = -1.0 if maximize_y else 1.0
    order = sorted(range(len(points)), key=lambda i: (points[i][0], sign * points[i][1]))
    front: list[int] = []
    best: float | None = None
    last: tuple[float, float] | None = None
    for i in order:
        x, y = points[i][0], sign * points[i][1]
        if best is None or y < best or (last is not None and (x, y) == last):
            front.append(i)
            best, last = y, (x, y)
    return front

