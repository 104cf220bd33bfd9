"""Parameter counts under the five named conventions, per module path."""

from __future__ import annotations

from collections import Counter

import torch

from costlab.choices import ParamConvention, parse_choice
from costlab.trace.recorder import OpEvent, Trace

__all__ = ["ParamConvention", "count_params"]

aten = torch.ops.aten  # torch.ops is an _Ops object, not a module mypy can import from


_BATCH_NORM_OPS = {aten.native_batch_norm.default, aten._native_batch_norm_legit.default,
                   aten._native_batch_norm_legit_no_training.default}
_FOLD_TARGETS = {aten.convolution.default, aten._convolution.default, aten.addmm.default,
                 aten.mm.default}


def _owner(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def count_params(trace: Trace, convention: ParamConvention | str) -> Counter[str]:
    """Parameter count per owning module path under `convention`.

    `folded`: a batch norm after a conv or linear without bias gives that layer a bias of
    C elements; after one with a bias it folds in for free; a batch norm with no such producer
    (e.g. on the network input) keeps its scale and shift. `trainable`: parameters that
    require grad (Whisper's fixed encoder positions, a frozen backbone are left out).
    """
    convention = parse_choice(ParamConvention, convention)
    counts: Counter[str] = Counter()
    for name, meta in trace.params.items():
        owner = _owner(name)
        if convention is ParamConvention.TRAINABLE and name in trace.frozen:
            continue
        if convention in (ParamConvention.WEIGHTS, ParamConvention.FOLDED) \
                and owner in trace.batch_norms:
            continue
        counts[owner] += meta.numel
    if convention is ParamConvention.KERAS:
        for name, meta in trace.buffers.items():
            owner = _owner(name)
            if owner in trace.batch_norms and name.rsplit(".", 1)[-1] in ("running_mean",
                                                                            "running_var"):
                counts[owner] += meta.numel
    if convention is ParamConvention.FOLDED:
        _fold(trace, counts)
    return counts


def _fold(trace: Trace, counts: Counter[str]) -> None:
    producers: dict[int, OpEvent] = {}
    folded: set[str] = set()
    for event in trace.events:
        if event.op in _BATCH_NORM_OPS and event.module in trace.batch_norms \
                and event.module not in folded:
            folded.add(event.module)
            x = event.arg("input")
            producer = producers.get(x.tid)
            weight = event.arg("weight")
            channels = weight.numel if weight is not None else 0
            if producer is None or producer.op not in _FOLD_TARGETS:
                counts[event.module] += 2 * channels if weight is not None else 0
            elif not _has_bias(producer):
                counts[producer.module] += x.shape[1]
        for out in event.outputs:
            producers.setdefault(out.tid, event)


def _has_bias(event: OpEvent) -> bool:
    if event.op in (aten.convolution.default, aten._convolution.default):
        return event.arg("bias") is not None
    return event.op is aten.addmm.default
