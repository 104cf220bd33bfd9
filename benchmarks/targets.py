"""The speed targets of issue 14, each beside its competitors in the same run.

1. Whole process: `costlab report mobilenetv2 --format json` against a bare `import torch`
   (the median ratio of alternating pairs), and `costlab --help`, `costlab list`.
2. In process, one torch thread, on the same torchvision module (weights=None): costlab
   against fvcore and torch's FlopCounterMode; and costlab from a spec name (building
   included) against fvcore on the built module.
3. Scaling: trace time over 10 to 1,000 repeated blocks, per op.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from harness import (  # benchmarks/: on the path when run as a script
    fvcore_total,
    machine,
    median_seconds,
)
from tabulate import tabulate


def _process_seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def whole_process(pairs: int) -> list[list[str]]:
    """Alternating pairs, so that both sides of a pair see the same load."""
    torch_s, report_s = [], []
    for _ in range(pairs):
        torch_s.append(_process_seconds([sys.executable, "-c", "import torch"]))
        report_s.append(_process_seconds(["costlab", "report", "mobilenetv2", "--format",
                                          "json"]))
    ratio = statistics.median(r / t for t, r in zip(torch_s, report_s, strict=True))
    helps = [_process_seconds(["costlab", "--help"]) for _ in range(pairs)]
    lists = [_process_seconds(["costlab", "list"]) for _ in range(pairs)]
    bare = [_process_seconds([sys.executable, "-c", "pass"]) for _ in range(pairs)]
    return [
        ["python -c 'import torch'", f"{statistics.median(torch_s):.2f} s", ""],
        ["costlab report mobilenetv2 --format json", f"{statistics.median(report_s):.2f} s",
         f"{ratio:.2f}x import torch (target <= 1.30x)"],
        ["costlab --help", f"{statistics.median(helps):.2f} s", "target < 0.3 s"],
        ["costlab list", f"{statistics.median(lists):.2f} s", "target < 0.3 s"],
        ["python -c pass", f"{statistics.median(bare):.2f} s", "the interpreter alone"],
    ]


def _torchvision(name: str) -> Any:
    import torchvision
    return getattr(torchvision.models, name)(weights=None).eval()


def _runners(model: Any, shape: tuple[int, ...]) -> dict[str, Callable[[], Any]]:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    import costlab
    x = torch.zeros(shape)

    def fvcore() -> int:
        return fvcore_total(model, x)

    def flop_counter() -> int:
        with torch.no_grad(), FlopCounterMode(display=False) as mode:
            model(x)
        return int(mode.get_total_flops())

    return {"costlab": lambda: costlab.analyze(model, inputs=[shape]).totals["macs"],
            "fvcore": fvcore, "FlopCounterMode": flop_counter}


def _interleaved(runners: dict[str, Callable[[], Any]], repeats: int
                 ) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU seconds of each runner, the runners taking turns call by call, so
    that a change of load lands on all of them alike (CPU time is what the load inflates
    least: a waiting process is not charged)."""
    for run in runners.values():
        run()
    wall: dict[str, list[float]] = {tool: [] for tool in runners}
    cpu: dict[str, list[float]] = {tool: [] for tool in runners}
    for _ in range(repeats):
        for tool, run in runners.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            cpu[tool].append(time.process_time() - start_cpu)
            wall[tool].append(time.perf_counter() - start)
    return ({t: statistics.median(v) for t, v in wall.items()},
            {t: statistics.median(v) for t, v in cpu.items()})


def in_process(models: list[str], repeats: int) -> list[list[str]]:
    import torch
    from compare_tools import _cpu_model

    import costlab
    torch.set_num_threads(1)
    rows = []
    for name in models:
        runners = _runners(_torchvision(name), (1, 3, 224, 224))
        wall, cpu = _interleaved(runners, repeats)
        rows.append([f"torchvision {name}", *(f"{wall[t] * 1e3:.1f}" for t in runners),
                     f"{wall['fvcore'] / wall['costlab']:.1f}x (>= 5x)",
                     f"{wall['FlopCounterMode'] / wall['costlab']:.1f}x (>= 2x)",
                     f"{cpu['fvcore'] / cpu['costlab']:.1f}x / "
                     f"{cpu['FlopCounterMode'] / cpu['costlab']:.1f}x"])
    model, shape = _cpu_model("mobilenetv2")
    wall, cpu = _interleaved({"spec": lambda: costlab.analyze("mobilenetv2"),
                              "fvcore": _runners(model, shape)["fvcore"]}, repeats)
    rows.append(["spec mobilenetv2, building included", f"{wall['spec'] * 1e3:.1f}",
                 f"{wall['fvcore'] * 1e3:.1f} (built module)", "",
                 f"{wall['fvcore'] / wall['spec']:.1f}x (>= 3x)", "",
                 f"{cpu['fvcore'] / cpu['spec']:.1f}x"])
    return rows


def scaling(counts: list[int], repeats: int) -> list[list[str]]:
    """A residual MLP block repeated n times: time per op should stay flat."""
    import torch
    from torch import nn

    from costlab.trace.recorder import trace_module

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm, self.fc = nn.LayerNorm(64), nn.Linear(64, 64)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + torch.relu(self.fc(self.norm(x)))

    rows = []
    for n in counts:
        with torch.device("meta"):
            model = nn.Sequential(*(Block() for _ in range(n)))
        ops = len(trace_module(model, [(8, 64)]).events)
        seconds = median_seconds(lambda m=model: trace_module(m, [(8, 64)]), repeats)
        rows.append([str(n), f"{ops:,}", f"{seconds * 1e3:,.1f}",
                     f"{seconds / ops * 1e6:.1f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--models", nargs="+", default=["mobilenet_v2", "resnet50", "vit_b_16"])
    parser.add_argument("--skip-process", action="store_true")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the in-process comparison this many times")
    args = parser.parse_args()
    print(machine(), "\n")
    if not args.skip_process:
        print(tabulate(whole_process(args.pairs), ["whole process", "median", "ratio"],
                       tablefmt="github"), "\n")
    for _ in range(args.rounds):
        print(machine().split("(")[1].split(")")[0])
        print(tabulate(in_process(args.models, args.repeats),
                       ["in process, 1 thread", "costlab ms", "fvcore ms", "FlopCounterMode ms",
                        "fvcore / costlab", "FlopCounterMode / costlab",
                        "CPU time: fvcore, FlopCounterMode / costlab"], tablefmt="github"),
              "\n")
    print(tabulate(scaling([10, 100, 1000], 3), ["blocks", "ops", "trace ms", "us per op"],
                   tablefmt="github"))
    print("\nload average after:", machine().split("load average ")[1].split(")")[0])


if __name__ == "__main__":
    main()
