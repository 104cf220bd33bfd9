"""How much of `costlab report`'s time the memory analyses take, step by step.

`costlab report MODEL` runs `costlab.analyze` (resolve the model, trace, count, compare with
the published figures, and the memory summary `analyze_memory(trace, cost, dtype="fp32",
view="all")`) and renders the table. This script runs those same steps one by one, in one
process after a warm-up pass, and prints each step's median time and share; then it times the
whole command in fresh processes, where Python start-up and imports dominate.

    python benchmarks/memory_overhead.py
    python benchmarks/memory_overhead.py --model shufflenetv1 --repeats 50
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import harness
from tabulate import tabulate

import costlab
from costlab.analyses.memory import analyze_memory
from costlab.analyses.published import compare_reported
from costlab.count.engine import count_costs
from costlab.models.resolve import resolve_model
from costlab.render import write
from costlab.trace.recorder import trace_module

MEMORY_STEP = "memory analyses (analyze_memory)"


def _steps(model: str) -> list[tuple[str, Callable[[dict[str, Any]], None]]]:
    """The report's steps in order; each reads what earlier steps stored in `state`."""
    def resolve(s: dict[str, Any]) -> None:
        s["target"] = resolve_model(model)

    def trace(s: dict[str, Any]) -> None:
        s["trace"] = trace_module(s["target"].module, s["target"].input_shapes)

    def count(s: dict[str, Any]) -> None:
        s["cost"] = count_costs(s["trace"])

    def published(s: dict[str, Any]) -> None:
        target = s["target"]
        if target.spec is not None:
            compare_reported(target.spec, target.config, s["trace"], s["cost"])

    def memory(s: dict[str, Any]) -> None:
        analyze_memory(s["trace"], s["cost"], dtype="fp32", view="all")

    return [("load the spec, build on meta", resolve), ("trace", trace), ("count", count),
            ("published comparisons", published), (MEMORY_STEP, memory)]


def _time_steps(model: str, repeats: int) -> dict[str, float]:
    """Median seconds of each step, and of rendering the report, over `repeats` passes."""
    analysis = costlab.analyze(model)          # warm-up: lazy imports and caches
    times: dict[str, list[float]] = {}
    for _ in range(repeats + 1):               # the first pass is a warm-up too
        state: dict[str, Any] = {}
        for name, step in _steps(model):
            start = time.perf_counter()
            step(state)
            times.setdefault(name, []).append(time.perf_counter() - start)
        start = time.perf_counter()
        write(analysis.document(), "table")
        times.setdefault("render the table", []).append(time.perf_counter() - start)
    return {name: statistics.median(values[1:]) for name, values in times.items()}


def _time_command(model: str, runs: int) -> float:
    """Median wall time of `costlab report MODEL` in a fresh process."""
    command = [sys.executable, "-m", "costlab", "report", model]
    return harness.median_seconds(
        lambda: subprocess.run(command, check=True, capture_output=True), runs, warmup=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mobilenetv2")
    parser.add_argument("--repeats", type=int, default=20, help="timed passes of the steps")
    parser.add_argument("--command-runs", type=int, default=3,
                        help="timed runs of the whole command in a fresh process")
    args = parser.parse_args()
    harness.preload_torch()
    steps = _time_steps(args.model, args.repeats)
    total = sum(steps.values())
    print(f"Machine: {harness.machine()}\n`costlab report {args.model}`, in process, median of "
          f"{args.repeats} passes after a warm-up:\n")
    rows = [[name, harness.fmt_ms(seconds), f"{seconds / total:.1%}"]
            for name, seconds in steps.items()]
    rows.append(["total", harness.fmt_ms(total), "100%"])
    print(tabulate(rows, ["step", "ms", "share"], tablefmt="github", disable_numparse=True,
                   colalign=("left", "right", "right")))
    command_s = _time_command(args.model, args.command_runs)
    memory_s = steps[MEMORY_STEP]
    print(f"\nThe memory analyses add {harness.fmt_ms(memory_s)} ms, {memory_s / total:.1%} of "
          f"the report's {harness.fmt_ms(total)} ms in process and {memory_s / command_s:.2%} "
          f"of the whole command ({command_s:.2f} s in a fresh process, median of "
          f"{args.command_runs}; start-up and imports included).")


if __name__ == "__main__":
    main()
