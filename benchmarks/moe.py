"""Analyzes a mixture-of-experts decoder of about 1 trillion parameters, built on the meta
device, with costlab and its competitors; checks the MACs and parameters against the hand
formulas of the implementation.

The model and its formulas are `tests/fixtures/moe.py` (the test suite checks the same
formulas on a tiny configuration): 64 pre-norm layers of d_model 8192, causal attention and 64
GELU experts of d_ff 14,592 with GShard top-2 routing at a fixed capacity per expert, so that
every shape is static and the model runs on meta tensors.

Each tool runs in a fresh subprocess, one after the other, with its address space limited
(`--memory-gib`, RLIMIT_AS) and a timeout, so that a tool that tries to allocate the ~4 TB of
fp32 weights fails inside its limit instead of taking the machine down. Every tool is given
the same meta-device module and meta token ids; the last row builds the model with real CPU
weights, as the tools that run a real forward pass would need, and shows where that fails.

    python benchmarks/moe.py
    python benchmarks/moe.py --tools costlab FlopCounterMode --repeats 5
    python benchmarks/moe.py --layers 2 --d-model 64 --heads 4 --experts 4 --d-ff 96 --seq 16
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import harness
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the repository, for tests.
from tests.fixtures.moe import MoEConfig, moe_macs, moe_params

Counted = tuple[int | None, int | None]   # (MACs, parameters) a tool reports; None: not given
Runner = Callable[[], Counted]
GIB = 2 ** 30


@dataclass(frozen=True, slots=True)
class Tool:
    """A counter under test: the library it needs, how it runs, what its number counts."""

    name: str
    library: str
    how: str
    prepare: Callable[[Any, Any], Runner]   # (meta module, meta ids) -> a call


def _costlab(model: Any, ids: Any) -> Runner:
    import torch

    import costlab
    from costlab.trace.inputs import InputSpec
    spec = InputSpec(tuple(ids.shape), torch.int64)

    def run() -> Counted:
        totals = costlab.analyze(model, inputs=[spec], device="meta", strict=True).totals
        return totals["macs"], totals["params"]
    return run


def _flop_counter(model: Any, ids: Any) -> Runner:
    from torch.utils.flop_counter import FlopCounterMode

    def run() -> Counted:
        with FlopCounterMode(display=False) as mode:
            model(ids)
        return mode.get_total_flops() // 2, None   # it counts 2 FLOPs per multiply-accumulate
    return run


def _fvcore(model: Any, ids: Any) -> Runner:
    from fvcore.nn import parameter_count
    return lambda: (harness.fvcore_total(model, ids), int(parameter_count(model)[""]))


def _thop(model: Any, ids: Any) -> Runner:
    from thop import profile

    def run() -> Counted:
        macs, params = profile(model, inputs=(ids,), verbose=False)
        return int(macs), int(params)
    return run


def _ptflops(model: Any, ids: Any) -> Runner:
    from ptflops import get_model_complexity_info

    def run() -> Counted:
        macs, params = get_model_complexity_info(
            model, tuple(ids.shape[1:]), input_constructor=lambda _: {"ids": ids},
            as_strings=False, print_per_layer_stat=False, verbose=False)
        if macs is None:   # ptflops catches the model's exception and returns None, None
            raise RuntimeError("get_model_complexity_info returned no count")
        return int(macs), int(params)
    return run


def _torchinfo(model: Any, ids: Any) -> Runner:
    from torchinfo import summary

    def run() -> Counted:
        stats = summary(model, input_data=[ids], device="meta", verbose=0)
        return int(stats.total_mult_adds), int(stats.total_params)
    return run


TOOLS = {tool.name: tool for tool in [
    Tool("costlab", "costlab", "analyze(module, inputs=[InputSpec(ids, int64)], "
         "device='meta', strict=True): the ATen ops under a dispatch mode", _costlab),
    Tool("FlopCounterMode", "torch", "torch.utils.flop_counter, around the module's forward "
         "on meta ids: mm, bmm, addmm and attention ops, FLOPs / 2", _flop_counter),
    Tool("fvcore", "fvcore", "FlopCountAnalysis(module, ids).total(): a TorchScript trace "
         "on meta ids", _fvcore),
    Tool("thop", "thop", "profile(module, inputs=(ids,)): module hooks (nn.Linear and "
         "friends) around a forward on meta ids", _thop),
    Tool("ptflops", "ptflops", "get_model_complexity_info, pytorch backend: module hooks and "
         "patched torch functions around a forward on meta ids", _ptflops),
    Tool("torchinfo", "torchinfo", "summary(module, input_data=[ids], device='meta'): module "
         "hooks around a forward on meta ids", _torchinfo),
]}
REAL = "cpu-weights"   # the extra row: building the module with real fp32 weights
REAL_HOW = ("MoEDecoder built with real fp32 weights on the CPU, what any tool that runs the "
            "model for real needs first")


def _build(config: MoEConfig, device: str) -> Any:
    import torch

    from tests.fixtures.moe import MoEDecoder
    with torch.device(device):
        return MoEDecoder(config)


def _worker(tool_name: str, config: MoEConfig, repeats: int) -> dict[str, Any]:
    """One tool in this process: setup (build on meta, import the tool), the first call with
    its RSS growth, the median of `repeats` more, the process peak."""
    import torch
    torch.set_num_threads(1)
    harness.preload_torch()
    with contextlib.redirect_stdout(sys.stderr):   # keep stdout for the JSON line
        start = time.perf_counter()
        if tool_name == REAL:   # the timed call builds; it reports the parameters it holds
            def run() -> Counted:
                return None, sum(p.numel() for p in _build(config, "cpu").parameters())
        else:
            model = _build(config, "meta")
            ids = torch.zeros((config.batch, config.seq), dtype=torch.int64, device="meta")
            run = TOOLS[tool_name].prepare(model, ids)
        setup_s = time.perf_counter() - start
        setup_peak = harness.peak_rss_bytes() or 0
        first = harness.measure_call(run)
        median_s = harness.median_seconds(run, repeats, warmup=0) if repeats else None
    macs, params = first.result
    return {"macs": macs, "params": params, "first_s": first.seconds, "median_s": median_s,
            "peak_bytes": first.peak_bytes, "setup_s": setup_s,
            "process_peak": max(setup_peak, harness.peak_rss_bytes() or 0)}


def _measure(tool: str, config: MoEConfig, repeats: int, timeout: float,
             limit_bytes: int) -> dict[str, Any]:
    """One fresh, memory-limited subprocess; failures come back as {"error": ...}."""
    library = TOOLS[tool].library if tool in TOOLS else "torch"
    if importlib.util.find_spec(library) is None:
        return {"error": f"{library} not installed (pip install -e \".[bench]\")"}
    sizes = [arg for f in fields(MoEConfig)
             for arg in (f"--{f.name.replace('_', '-')}", str(getattr(config, f.name)))]
    command = [sys.executable, __file__, "--worker", tool, "--repeats", str(repeats), *sizes]
    return harness.run_worker(command, timeout, limit_bytes)


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several rounds: each time and memory figure's median over the rounds
    (the counts are the same in every round); the first failure if any round failed."""
    failed = [run for run in runs if "error" in run]
    if failed:
        return failed[0]
    merged = dict(runs[0])
    for key in ("first_s", "median_s", "peak_bytes", "process_peak", "setup_s"):
        values = [run[key] for run in runs if run[key] is not None]
        merged[key] = statistics.median(values) if values else None
    return merged


def _delta(value: int | None, expected: int) -> str:
    if value is None:
        return ""
    return "equal" if value == expected else f"{(value - expected) / expected:+.1%}"


def _row(tool: str, figures: dict[str, Any], macs: int, params: int) -> list[str]:
    if "error" in figures:
        return [tool, *[""] * 9, figures["error"]]
    seconds = figures["median_s"]
    return [tool, "" if figures["macs"] is None else f"{figures['macs']:,}",
            _delta(figures["macs"], macs),
            "" if figures["params"] is None else f"{figures['params']:,}",
            _delta(figures["params"], params), f"{figures['first_s']:.2f}",
            "" if seconds is None else f"{seconds:.2f}", harness.fmt_mib(figures["peak_bytes"]),
            harness.fmt_mib(figures["process_peak"]), f"{figures['setup_s']:.2f}", ""]


def _parse() -> argparse.Namespace:
    defaults = MoEConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(MoEConfig):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(getattr(defaults, f.name)),
                            default=getattr(defaults, f.name))
    parser.add_argument("--tools", nargs="+", default=[*TOOLS, REAL],
                        choices=[*TOOLS, REAL], metavar="TOOL",
                        help=f"among {', '.join(TOOLS)} and '{REAL}' (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls after the first")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs of every tool in turn; each figure is the median over them")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per tool")
    parser.add_argument("--memory-gib", type=float, default=8,
                        help="address-space limit of each tool's process (RLIMIT_AS)")
    parser.add_argument("--worker", metavar="TOOL", help=argparse.SUPPRESS)
    return parser.parse_args()


def _print_formulas(config: MoEConfig) -> None:
    print(f"Machine: {harness.machine()}\n{config}; capacity C = {config.capacity} token slots "
          f"per expert, T = {config.tokens} tokens\n")
    rows = [[f"params: {part}", f"{value:,}"] for part, value in moe_params(config).items()]
    rows += [[f"MACs: {part}", f"{value:,}"] for part, value in moe_macs(config).items()]
    rows += [["parameters", f"{sum(moe_params(config).values()):,}"],
             ["MACs", f"{sum(moe_macs(config).values()):,}"]]
    print(tabulate(rows, ["hand formula", "count"], tablefmt="github", disable_numparse=True,
                   colalign=("left", "right")), "\n")


def main() -> None:
    args = _parse()
    config = MoEConfig(**{f.name: getattr(args, f.name) for f in fields(MoEConfig)})
    if args.worker:
        print(json.dumps(_worker(args.worker, config, args.repeats)))
        return
    _print_formulas(config)
    macs, params = sum(moe_macs(config).values()), sum(moe_params(config).values())
    limit = int(args.memory_gib * GIB)
    runs: dict[str, list[dict[str, Any]]] = {tool: [] for tool in args.tools}
    for round_ in range(args.rounds):   # whole rounds: a change of load hits every tool alike
        for tool in args.tools:
            runs[tool].append(_measure(tool, config, 0 if tool == REAL else args.repeats,
                                       args.timeout, limit))
            print(f"  round {round_ + 1}: measured {tool}", file=sys.stderr, flush=True)
    rows = [_row(tool, _median_run(figures), macs, params) for tool, figures in runs.items()]
    headers = ["tool", "MACs", "vs formula", "params", "vs formula", "first s",
               f"median of {args.repeats} s", "RSS growth MiB", "process peak MiB", "setup s",
               "failure"]
    print(tabulate(rows, headers, tablefmt="github", disable_numparse=True,
                   colalign=("left", "right", "left", "right", "left") + ("right",) * 5
                   + ("left",)))
    print(f"\nMedians over {args.rounds} round(s); each tool in its own process, limited to "
          f"{args.memory_gib:g} GiB of address space and {args.timeout:.0f} s; setup: importing "
          f"the tool and building the module on meta (not in the times); fp32 weights if "
          f"materialized: "
          f"{params * 4 / 2 ** 40:,.2f} TiB. Load average at the end: {harness.load_average()}.")
    for tool in args.tools:
        print(f"- {tool}: {TOOLS[tool].how if tool in TOOLS else REAL_HOW}")


if __name__ == "__main__":
    main()
