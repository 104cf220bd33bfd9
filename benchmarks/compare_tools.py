"""Analyzes every spec with costlab, fvcore, ptflops, thop and torchinfo; prints time, peak
memory and the MACs each reports, with ratios against fvcore.

Each (tool, model) pair runs in a fresh subprocess, one after the other (never in parallel,
so they do not compete for the cores). The subprocess imports torch, torch._dynamo (see
harness.preload_torch), costlab and the tool, builds what the tool is given, then:
1. peak memory: RSS growth during the first call, above that baseline;
2. time: that first call is the warm-up; then the median of --repeats calls.
Building the model is setup, outside both figures (its time is shown apart). costlab is
given the spec name (it loads the YAML and builds on the meta device inside the timed call)
and, separately, the same real-weight CPU module the other tools get. torch runs one thread
by default (--threads): on a shared 2-core machine, two OpenMP threads slow a real forward
pass up to tenfold whenever another process holds a core, and costlab computes nothing.

    python benchmarks/compare_tools.py                        # every spec, every tool
    python benchmarks/compare_tools.py --specs mobilenetv2 --repeats 9
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import harness
from tabulate import tabulate

Runner = Callable[[], int]
Results = dict[tuple[str, str], dict[str, Any]]   # (spec, tool) -> the worker's figures


@dataclass(frozen=True, slots=True)
class Tool:
    """A counter under test: the library it needs, what it is given, how to run it."""

    name: str
    library: str
    given: str
    counts: str
    prepare: Callable[[str], Runner]   # spec name -> a call returning the MACs reported


def _cpu_model(name: str) -> tuple[Any, tuple[int, ...]]:
    """The spec built with random weights on the CPU, in eval mode, and its input shape."""
    from costlab.blocks.build import build_model
    from costlab.spec.catalog import load_named_spec
    from costlab.spec.schema import resolve_params
    spec = load_named_spec(name)
    built = build_model(spec, resolve_params(spec, {}), device="cpu")
    return built.module.eval(), built.input_shape


def _costlab_spec(name: str) -> Runner:
    import costlab
    return lambda: costlab.analyze(name).totals["macs"]


def _costlab_module(name: str) -> Runner:
    import costlab
    model, shape = _cpu_model(name)
    return lambda: costlab.analyze(model, inputs=[shape]).totals["macs"]


def _fvcore(name: str) -> Runner:
    import torch
    model, shape = _cpu_model(name)
    x = torch.zeros(shape)
    return lambda: harness.fvcore_total(model, x)


def _ptflops(name: str) -> Runner:
    from ptflops import get_model_complexity_info
    model, shape = _cpu_model(name)

    def run() -> int:
        macs, _ = get_model_complexity_info(model, shape[1:], as_strings=False,
                                            print_per_layer_stat=False, verbose=False)
        return int(macs)
    return run


def _thop(name: str) -> Runner:
    import torch
    from thop import profile
    model, shape = _cpu_model(name)
    x = torch.zeros(shape)
    return lambda: int(profile(model, inputs=(x,), verbose=False)[0])


def _torchinfo(name: str) -> Runner:
    import torch
    from torchinfo import summary
    model, shape = _cpu_model(name)
    x = torch.zeros(shape)
    return lambda: int(summary(model, input_data=x, verbose=0).total_mult_adds)


_MODULE = "the real-weight CPU module and a zero input"
_REAL = "module hooks around a real forward pass"
TOOLS = {tool.name: tool for tool in [
    Tool("costlab", "costlab", "the spec name: loads the YAML, builds on meta, traces, counts "
         "and runs the memory summary inside the timed call", "conv, linear and matmul MACs",
         _costlab_spec),
    Tool("costlab-module", "costlab", _MODULE + " shape; traces with meta stand-ins for the "
         "weights", "conv, linear and matmul MACs", _costlab_module),
    Tool("fvcore", "fvcore", _MODULE + "; FlopCountAnalysis(...).total(), a TorchScript trace",
         "conv, linear and matmul MACs plus batch norm and adaptive pooling", _fvcore),
    Tool("ptflops", "ptflops", _MODULE + " shape; get_model_complexity_info, pytorch backend: "
         + _REAL, "conv and linear MACs plus batch norm, activations, pooling and biases",
         _ptflops),
    Tool("thop", "thop", _MODULE + "; profile: " + _REAL,
         "conv and linear MACs plus batch norm and pooling", _thop),
    Tool("torchinfo", "torchinfo", _MODULE + "; summary(verbose=0): " + _REAL,
         "conv and linear MACs plus one per batch-norm parameter and linear bias", _torchinfo),
]}


def _worker(tool_name: str, spec: str, repeats: int, threads: int) -> dict[str, Any]:
    """Runs one (tool, model) measurement in this process; returns the figures as a dict."""
    import torch
    torch.set_num_threads(threads)
    dynamo = harness.preload_torch()
    tool = TOOLS[tool_name]
    with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the JSON line
        start = time.perf_counter()
        run = tool.prepare(spec)
        setup_s = time.perf_counter() - start
        first = harness.measure_call(run)
        median_s = harness.median_seconds(run, repeats, warmup=0)
    return {"macs": first.result, "first_s": first.seconds, "median_s": median_s,
            "peak_bytes": first.peak_bytes, "setup_s": setup_s,
            "dynamo_s": dynamo.seconds, "dynamo_bytes": dynamo.peak_bytes}


def _measure(tool: Tool, spec: str, repeats: int, threads: int, timeout: float
             ) -> dict[str, Any]:
    """One fresh subprocess for one pair; failures come back as {"error": ...}."""
    if importlib.util.find_spec(tool.library) is None:
        return {"error": f"{tool.library} not installed (pip install -e \".[bench]\")"}
    command = [sys.executable, __file__, "--worker", tool.name, "--specs", spec,
               "--repeats", str(repeats), "--threads", str(threads)]
    return harness.run_worker(command, timeout)


def _macs_delta(macs: int, spec: str, results: Results) -> str:
    """How far a tool's MACs are from costlab's conv + linear + matmul count."""
    ours = results.get((spec, "costlab"), {}).get("macs") \
        or results.get((spec, "costlab-module"), {}).get("macs")
    return f"{(macs - ours) / ours:+.2%}" if ours else ""


def _row(spec: str, tool: str, results: Results) -> list[str]:
    figures, reference = results[spec, tool], results.get((spec, "fvcore"), {})
    if "error" in figures:
        return [spec, tool] + [""] * 8 + [figures["error"]]
    return [spec, tool, f"{figures['macs']:,}", _macs_delta(figures["macs"], spec, results),
            harness.fmt_ms(figures["median_s"]),
            harness.fmt_ratio(figures["median_s"], reference.get("median_s")),
            harness.fmt_ms(figures["first_s"]), harness.fmt_mib(figures["peak_bytes"]),
            harness.fmt_ratio(figures["peak_bytes"], reference.get("peak_bytes")),
            harness.fmt_ms(figures["setup_s"]), ""]


def _geomean(values: list[float]) -> float | None:
    positive = [v for v in values if v > 0]
    return math.exp(sum(map(math.log, positive)) / len(positive)) if positive else None


def _summary(results: Results, tools: list[str]) -> list[list[str]]:
    """Per tool: geometric means over the models of its time and peak ratios to fvcore."""
    rows = []
    for tool in tools:
        ratios: dict[str, list[float]] = {"median_s": [], "peak_bytes": []}
        for (spec, name), figures in results.items():
            reference = results.get((spec, "fvcore"), {})
            for key, values in ratios.items():
                if name == tool and figures.get(key) is not None and reference.get(key):
                    values.append(figures[key] / reference[key])
        time_ratio, peak_ratio = _geomean(ratios["median_s"]), _geomean(ratios["peak_bytes"])
        rows.append([tool, "" if time_ratio is None else f"{time_ratio:.2f}x",
                     "" if peak_ratio is None else f"{peak_ratio:.2f}x",
                     len(ratios["median_s"])])
    return rows


def _print_legend(tools: list[str], repeats: int, threads: int) -> None:
    print(f"Machine: {harness.machine()}; the tools ran with {threads} torch thread(s)")
    print(f"time: median of {repeats} calls after one warm-up call (the first call, shown "
          "apart); peak: RSS growth during that first call above a baseline that has imported "
          "torch, torch._dynamo, costlab and the tool and built the model; setup: building "
          "what the tool is given (not in time or peak). One fresh process per row.\n")
    for name in tools:
        print(f"- {name}: given {TOOLS[name].given}; counts {TOOLS[name].counts}")
    print()


def _compare(specs: list[str], tools: list[str], repeats: int, threads: int,
             timeout: float) -> None:
    _print_legend(tools, repeats, threads)
    results: Results = {}
    for spec in specs:
        for tool in tools:
            results[spec, tool] = _measure(TOOLS[tool], spec, repeats, threads, timeout)
            print(f"  measured {spec} / {tool}", file=sys.stderr, flush=True)
    headers = ["model", "tool", "MACs reported", "vs costlab", "time ms", "time / fvcore",
               "first call ms", "peak MiB", "peak / fvcore", "setup ms", "note"]
    rows = [_row(spec, tool, results) for spec in specs for tool in tools]
    print(tabulate(rows, headers, tablefmt="github", disable_numparse=True,
                   colalign=("left", "left") + ("right",) * 8 + ("left",)))
    print("\nGeometric mean over the models of each tool's ratio to fvcore:\n")
    print(tabulate(_summary(results, tools), ["tool", "time / fvcore", "peak / fvcore",
                                              "models"], tablefmt="github",
                   disable_numparse=True))
    print(f"\nLoad average at the end: {harness.load_average()}.")
    loaded = [f for f in results.values() if f.get("dynamo_s") is not None]
    if loaded:
        print(f"Not in any figure above: importing torch._dynamo, which the first meta-device "
              f"op of a process triggers (costlab's first trace pays it), took "
              f"{harness.fmt_ms(loaded[0]['dynamo_s'])} ms and "
              f"{harness.fmt_mib(loaded[0]['dynamo_bytes'])} MiB.")


def main() -> None:
    from costlab.spec.catalog import find_specs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", nargs="+", default=list(find_specs()),
                        help="spec names (default: every spec)")
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS),
                        metavar="TOOL", help=f"among {', '.join(TOOLS)} (default: all)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls after the warm-up")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per tool")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per row")
    parser.add_argument("--worker", metavar="TOOL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker, args.specs[0], args.repeats, args.threads)))
        return
    _compare(args.specs, args.tools, args.repeats, args.threads, args.timeout)


if __name__ == "__main__":
    main()
