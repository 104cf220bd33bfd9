"""Configurations per second of a random MobileNetV2 sweep, three ways: in this process, on a
local process pool, and on a Dask LocalCluster (worker processes on loopback).

Each way runs the same seeded definition (`--points` draws of alpha in 0.35:1.4 and resolution
in 96:224:8) for at most `--budget` seconds: the sweep is stopped as Ctrl-C would stop it and
the rate is the rows finished over the time spent, start-up (pool, cluster) included. The rows
of the ways must agree on the configurations all of them finished.

    python benchmarks/sweep_throughput.py --points 1000 --workers 2 --budget 300
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import time
from collections.abc import Callable
from typing import Any

from costlab.analyses.sweep import SweepDefinition, SweepResult, parse_range, run_sweep
from costlab.analyses.sweep_cache import WORKER_CACHE


def _stop_after(budget_s: float, start: float) -> Callable[[int, int], None]:
    def progress(done: int, total: int) -> None:
        if time.perf_counter() - start > budget_s:
            raise KeyboardInterrupt
    return progress


def _timed(run: Callable[[Callable[[int, int], None]], SweepResult], budget_s: float
           ) -> tuple[SweepResult, float]:
    start = time.perf_counter()
    result = run(_stop_after(budget_s, start))
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per way, at most")
    parser.add_argument("--ways", nargs="+", default=["process", "pool", "dask"])
    args = parser.parse_args()
    definition = SweepDefinition(
        "mobilenetv2", ranges=(parse_range("alpha=0.35:1.4"),
                               parse_range("resolution=96:224:8")),
        sample=args.points, seed=args.seed)
    runs: dict[str, Callable[[Callable[[int, int], None]], SweepResult]] = {
        "process": lambda p: run_sweep(definition, workers=1, progress=p),
        "pool": lambda p: run_sweep(definition, workers=args.workers, progress=p),
    }

    def on_dask(progress: Callable[[int, int], None]) -> SweepResult:
        from dask.distributed import LocalCluster
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=":0") as cluster:
            return run_sweep(definition, scheduler=cluster.scheduler_address,
                             progress=progress)
    runs["dask"] = on_dask
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    print(f"commit {commit}, {platform.processor() or platform.machine()}, "
          f"{args.points}-point definition, seed {args.seed}, budget {args.budget:.0f} s")
    results: dict[str, Any] = {}
    for way in args.ways:
        WORKER_CACHE.clear()   # each way starts cold (the pool's forked workers would inherit it)
        result, seconds = _timed(runs[way], args.budget)
        results[way] = result
        failed = sum(1 for r in result.rows if r.error)
        print(f"{way:<8} {result.executor:<32} {len(result.rows):>5} rows in {seconds:7.1f} s"
              f" = {len(result.rows) / seconds:6.2f} configurations/s"
              f"{'' if result.complete else ' (stopped at the budget)'}"
              f"{f', {failed} failed' if failed else ''}", flush=True)
    common = min(len(r.rows) for r in results.values())
    same = all(r.rows[:common] == next(iter(results.values())).rows[:common]
               for r in results.values())
    print(f"first {common} rows identical across ways: {same}")


if __name__ == "__main__":
    main()
