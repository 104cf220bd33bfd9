"""Build OpEvents by hand, so rule tests state shapes and expected numbers explicitly."""

from __future__ import annotations

from typing import Any

import torch

from costlab.trace.recorder import OpEvent, TensorMeta

_next = iter(range(10**9))


def tensor(*shape: int, kind: str = "activation") -> TensorMeta:
    tid = next(_next)
    return TensorMeta(tid, tid, tuple(shape), torch.float32, kind)


def event(op: Any, out: TensorMeta, **args: Any) -> OpEvent:
    inputs = tuple(v for v in args.values() if isinstance(v, TensorMeta))
    return OpEvent(0, op, "m", "Module", args, inputs, (out,))
