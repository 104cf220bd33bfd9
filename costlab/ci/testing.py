"""`assert_within_budget`: a test that fails when a model costs more than it may."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from costlab.analyses.measurement import Measurement, measure
from costlab.choices import DType, ParamConvention, parse_choice
from costlab.ci.budgets import parse_limits
from costlab.ci.check import metric_checks
from costlab.ci.check_document import explain
from costlab.ci.lockfile import load_lock
from costlab.errors import LockfileError, OptionError
from costlab.spec.variants import parse_variant
from costlab.trace.inputs import Input

__all__ = ["assert_within_budget"]


def assert_within_budget(model: str | nn.Module, *,
                         baseline: str | os.PathLike[str] | None = None,
                         tolerance: float = 0.0, params: ParamConvention | str | None = None,
                         dtype: DType | str | None = None, batch: int = 1,
                         inputs: Sequence[Input] | None = None,
                         settings: Mapping[str, Any] | None = None,
                         **limits: int | float | str) -> Measurement:
    """Measures `model` and raises AssertionError when it exceeds a limit or, given a
    `baseline` lock file, grew by more than `tolerance` percent since its entry there.

    `model` is a MODEL argument (`mobilenetv2:alpha=0.5`, a spec file, `pkg.mod:callable`)
    or any nn.Module. Limits are the budget keys of pyproject.toml (`max_macs`, `max_flops`,
    `max_params`, `max_peak_bytes`, `max_largest_tensor_bytes`), as integers or "310M". The
    message gives the numbers, the budget and the stage that grew most (or the largest one).
    Parameters and memory are counted as in the baseline, else under `torch` and at fp32.
    Returns the measurement, for further assertions.
    """
    __tracebackhide__ = True   # pytest shows the caller's line, not costlab's frames
    budget = parse_limits(limits, "assert_within_budget")
    lock = load_lock(baseline) if baseline is not None else None
    if not budget and lock is None:
        raise OptionError("assert_within_budget needs a limit (max_macs=...) or a baseline")
    convention = parse_choice(ParamConvention,
                              params or (lock.params if lock else ParamConvention.TORCH))
    element = parse_choice(DType, dtype or (lock.dtype if lock else DType.FP32))
    if lock is not None and (lock.params, lock.dtype) != (convention, element):
        raise OptionError(f"{baseline} counts params under '{lock.params}' at {lock.dtype}; "
                          f"asked for '{convention}' at {element}")
    if isinstance(model, str):
        now = measure(parse_variant(model, settings), params=convention, dtype=element,
                      batch=batch, inputs=inputs)
    else:
        now = measure(model, params=convention, dtype=element, batch=batch, inputs=inputs,
                      settings=settings)
    entry = None
    if lock is not None:
        entry = lock.entries.get(now.name)
        if entry is None:
            raise LockfileError(f"{baseline} has no entry {now.name!r}; its entries: "
                                f"{', '.join(lock.entries) or 'none'}")
    failed = [row for row in metric_checks(now, entry, budget, tolerance) if row.failed]
    if failed:
        # a module is named by where its class lives, not by a bare class name (Sequential)
        name = now.name if isinstance(model, str) else \
            f"{type(model).__module__}.{type(model).__qualname__} module"
        raise AssertionError(f"{name} costs more than allowed:\n  "
                             + "\n  ".join(explain(failed)))
    return now
