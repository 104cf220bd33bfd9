"""Attribute the ops autograd runs in backward to the module whose forward made each node.

How (issue 13): `torch.autograd.graph.node_creation_hook` calls us once per autograd node, at
creation, inside the forward; we note the module running then and register a pre-hook that
makes that module current when the node runs in backward. This is the attribution the hook
was made for (its documentation's own example); it is exact where module hooks on grad_fn
(torch.utils.module_tracker) guess: those lose their place when a module's input needs no
gradient (the first layer), which is precisely the case training cost must get right.

The ops the engine runs between nodes (summing two gradients that meet at a fork, such as a
residual connection) stay with the node that ran last, the one whose gradient is being summed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import torch

__all__ = ["Phase", "Slot", "NodeRecord", "NodeScopes"]


class Phase(StrEnum):
    """When an op ran: in the forward, or in backward computing which kind of gradient."""

    FORWARD = "forward"
    BACKWARD_INPUT = "backward_input"     # gradients of activations (an op's data inputs)
    BACKWARD_WEIGHT = "backward_weight"   # work whose results feed only parameter gradients


class Slot(StrEnum):
    """Where one gradient a node computes goes."""

    NONE = "none"       # to an input that needs no gradient (autograd skips it)
    INPUT = "input"     # to another node: an activation's gradient
    WEIGHT = "weight"   # to a parameter only (directly, or through views and casts of it)


@dataclass(slots=True)
class NodeRecord:
    """One autograd node: the module that made it, where its gradients go, and, after it
    ran, the first event it dispatched and the gradient tensors it returned."""

    path: str
    module_type: str
    slots: tuple[Slot, ...]
    param_only: bool = False   # AccumulateGrad, or a view or cast of parameters only
    first_event: int = -1
    grads: tuple[torch.Tensor | None, ...] = ()


@dataclass
class NodeScopes:
    """The node-creation hook, the backward's current scope, and the nodes in run order.

    `scope` gives the (path, type) of the module running now (the forward's module stack);
    `event_count` gives how many ops have been recorded so far.
    """

    scope: Callable[[], tuple[str, str]]
    event_count: Callable[[], int]
    current: tuple[str, str] = ("", "")
    ran: list[NodeRecord] = field(default_factory=list)
    _param_only: dict[int, bool] = field(default_factory=dict)
    _alive: list[Any] = field(default_factory=list)   # keeps node ids unique while tracing

    def hook(self) -> torch.autograd.graph.node_creation_hook:
        """The context under which the forward must run."""
        return torch.autograd.graph.node_creation_hook(self._created)

    def _created(self, node: torch.autograd.graph.Node) -> None:
        path, kind = self.scope()
        slots = tuple(Slot.NONE if fn is None else
                      Slot.WEIGHT if self._leads_to_parameters_only(fn) else Slot.INPUT
                      for fn, _ in node.next_functions)
        record = NodeRecord(path, kind, slots, self._leads_to_parameters_only(node))
        node.register_prehook(lambda grads: self._enter(record))
        node.register_hook(lambda grads_in, grads_out: self._leave(record, grads_in))

    def _enter(self, record: NodeRecord) -> None:
        record.first_event = self.event_count()
        self.current = (record.path, record.module_type)
        self.ran.append(record)

    @staticmethod
    def _leave(record: NodeRecord, grads: tuple[torch.Tensor | None, ...]) -> None:
        record.grads = tuple(grads)

    def _leads_to_parameters_only(self, node: Any) -> bool:
        """True for a parameter's AccumulateGrad and for nodes (views, casts, a transpose of
        a weight) whose every input is such a node: their gradients are weight gradients."""
        known = self._param_only.get(id(node))
        if known is not None:
            return known
        if node.name() == "torch::autograd::AccumulateGrad":   # a leaf: a parameter, or an
            result = isinstance(node.variable, torch.nn.Parameter)   # input needing a gradient
        else:
            edges = [fn for fn, _ in node.next_functions]
            result = bool(edges) and all(fn is not None and self._leads_to_parameters_only(fn)
                                         for fn in edges)
        self._alive.append(node)
        self._param_only[id(node)] = result
        return result
