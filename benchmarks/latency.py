"""How far costlab's latency figures can be trusted on this machine, in one run:

1. the per-layer timing's disturbance: a model's median with and without the module hooks
   that time every leaf layer (what `costlab latency --per-layer` uses), and, for the choice
   between the two ways the issue allows, with the torch profiler recording every op (a
   lower bound of the profiler route, which would add a record_function per module);
2. across every spec: the roofline prediction (sum over leaf layers of max(MACs / peak,
   bytes / bandwidth)) against the measured median, its median absolute error, and the
   Spearman rank correlation across the models of MACs and of the roofline with the medians.

    python benchmarks/latency.py
    python benchmarks/latency.py --min-time 2 --threads 1 --specs mobilenetv1 mobilenetv2 vgg16
"""

from __future__ import annotations

import argparse
import statistics

import harness
import torch
from tabulate import tabulate
from torch.profiler import ProfilerActivity, profile

from costlab.analyses.analysis import analyze_target
from costlab.analyses.latency import measure_latency
from costlab.analyses.layer_latency import hook_layers, layer_work
from costlab.analyses.measured_peak import materialize
from costlab.analyses.roofline import time_call
from costlab.choices import Device
from costlab.models.resolve import resolve_model
from costlab.spec.catalog import find_specs
from costlab.spec.variants import Variant


def disturbance(models: list[str], threads: int, min_time_s: float, rounds: int) -> None:
    """Plain, hooked and profiled medians, interleaved for `rounds` rounds so that a change
    of load on a shared machine hits all three alike; ratios are medians over the rounds."""
    rows = []
    for model in models:
        target = resolve_model(model)
        paths = [w.layer for w in layer_work(analyze_target(target), "fp32")]
        module = materialize(target.module).eval()
        args = [spec.tensor("cpu") for spec in target.inputs]

        def forward() -> None:
            with torch.inference_mode():
                module(*args)  # noqa: B023 - called within this iteration only

        forward()
        plain, hooked, profiled = [], [], []
        for _ in range(rounds):
            plain.append(time_call(forward, threads, min_time_s).median)
            _, remove = hook_layers(module, paths, Device.CPU)
            try:
                hooked.append(time_call(forward, threads, min_time_s).median)
            finally:
                remove()
            with profile(activities=[ProfilerActivity.CPU]):
                profiled.append(time_call(forward, threads, min_time_s).median)
        med = statistics.median
        rows.append([model, len(paths), f"{med(plain) * 1e3:.1f}", f"{med(hooked) * 1e3:.1f}",
                     f"{med(h / p for h, p in zip(hooked, plain, strict=True)):.3f}x",
                     f"{med(profiled) * 1e3:.1f}",
                     f"{med(q / p for q, p in zip(profiled, plain, strict=True)):.3f}x"])
    print(f"Per-layer timing's disturbance: medians in ms over {rounds} interleaved rounds\n")
    print(tabulate(rows, headers=["model", "leaf layers", "plain", "hooks", "hooks / plain",
                                  "profiler", "profiler / plain"], tablefmt="github"))


def roofline_accuracy(specs: list[str], threads: int, min_time_s: float) -> None:
    report = measure_latency([Variant(s) for s in specs], threads=threads,
                             min_time_s=min_time_s)
    roof = report.roofline
    print(f"\nRoofline: peak {roof.peak_gmacs_per_s:.1f} GMAC/s, bandwidth "
          f"{roof.bandwidth_gb_per_s:.1f} GB/s ({'cached' if roof.cached else 'measured'})\n")
    rows, errors, relative = [], [], []
    for m in report.models:
        error = m.predicted_ms - m.median_ms
        errors.append(abs(error))
        relative.append(abs(error) / m.median_ms)
        rows.append([m.name, f"{m.macs / 1e6:,.1f}", m.runs, f"{m.median_ms:.2f}",
                     f"{m.iqr_ms:.2f}",
                     f"{m.predicted_ms:.2f}", f"{error:+.2f}",
                     f"{m.predicted_ms / m.median_ms:.2f}", f"{m.gmacs_per_s:.2f}"])
    print(tabulate(rows, headers=["model", "MMACs", "runs", "median ms", "IQR ms", "roofline ms",
                                  "error ms", "predicted / measured", "GMAC/s"],
                   tablefmt="github"))
    rho = report.spearman
    assert rho is not None
    print(f"\nmedian absolute error of the roofline prediction: {statistics.median(errors):.2f} "
          f"ms ({statistics.median(relative):.0%} of the measured median)")
    print(f"Spearman across {rho.n} models: MACs {rho.macs:+.2f}, roofline {rho.roofline:+.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", nargs="*", default=sorted(find_specs()))
    parser.add_argument("--disturbance", nargs="*", default=["mobilenetv2", "resnet18"],
                        help="Models whose per-layer disturbance is measured.")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5,
                        help="Interleaved rounds of the disturbance measurement.")
    args = parser.parse_args()
    print(f"{harness.machine()}, {args.threads} torch thread(s), "
          f"at least {args.min_time:g} s of runs per figure\n")
    disturbance(args.disturbance, args.threads, args.min_time, args.rounds)
    roofline_accuracy(args.specs, args.threads, args.min_time)


if __name__ == "__main__":
    main()
