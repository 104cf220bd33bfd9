"""The model's blocks, read from its structure (the ops its modules run and the tensors they
pass), never from a class name: which module calls are blocks, single layers or containers.

- A *single layer* is one MAC-carrying op (a conv, a linear, a matmul) with its norm and
  activation, in one module (torchvision's Conv2dNormActivation, timm's ConvNormAct,
  costlab's ConvBNAct) or spread over sibling modules (timm's `conv_stem` then `bn1`, a
  BatchNormAct2d; torchvision ResNet's `conv1`, `bn1`, `relu`).
- The *units* of a module are its children in the order they run, except that a child that
  runs right after a single layer on the tensor it made joins it when it is that layer's norm
  or activation (no MAC op, a norm or activation op, its input's shape), and a child that
  runs no op and returns its input (Identity, Dropout at inference) is no unit wherever it
  stands when a module returned that tensor before (or it is the model's input). One that
  hands on a tensor its parent made itself is the first module to return it (torchvision's
  MobileNetV2 pools and flattens in its own forward, then runs the classifier's Dropout).
- A module *stands for its children* (a container: a stage, a row of repeats, a ModuleList
  run in a loop, an nn.Sequential of any class) when it runs no op of its own and its units
  are not one block. Units are one block when none runs a MAC op (pooling and flatten: one
  head module), or when, with at most one composite unit among them (a squeeze-excitation
  gate), their single layers mix a depthwise convolution with other layers: a factorized
  convolution (MobileNetV1's depthwise separable layer, a bottleneck without its residual).
  Two composite units or more are a row of blocks, and single layers alike (VGG's convs, a
  classifier's linears) a row of layers. A module whose only unit is a container (a
  wrapper) stands for it too. But a row of layers that repeats a sibling block (the same MAC
  ops in order) is one block: the repeat that changes the shape drops the skip connection of
  its like repeats (EfficientNetV2's fused blocks, the first of each stage).
- The *blocks* are the units of the model's children (the model always stands for them),
  each container replaced by its own blocks: composite blocks, single layers and head
  modules, as MobileNetV2's Table 3 reads a network.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from costlab.count.engine import op_cost
from costlab.count.rules import OpClass
from costlab.trace.recorder import ModuleCall, OpEvent, Trace
from costlab.units import Shape

__all__ = ["FeatureMapSizes", "ModelStructure", "blocks_of", "one_block", "passes_through"]

_NORM_OR_ACTIVATION = frozenset({OpClass.BATCH_NORM, OpClass.NORM, OpClass.ACTIVATION})


def one_block(units: Sequence[Sequence[OpClass]]) -> bool:
    """Whether units chained in one module make one block rather than a list of blocks; each
    unit is given by the classes of the MAC ops it runs (see the module docstring)."""
    layers = [macs for macs in units if macs]
    if not layers:
        return True                          # a head module: pooling and flatten
    if sum(len(macs) > 1 for macs in layers) > 1:
        return False                         # blocks in a row
    # Single layers mixing depthwise and other convolutions factorize one convolution, with
    # perhaps a gate beside them (squeeze-excitation, the one composite allowed).
    return len({macs[0] is OpClass.DEPTHWISE for macs in layers if len(macs) == 1}) == 2


@dataclass(frozen=True, slots=True)
class _Unit:
    members: tuple[ModuleCall, ...]   # one child, or a single layer and its norm/activation

    @property
    def call(self) -> ModuleCall:
        """The unit as one call, named by its first member, ending with its last one's output."""
        first, last = self.members[0], self.members[-1]
        if first is last:
            return first
        return ModuleCall(first.path, first.module_type, first.inputs, last.outputs,
                          first.first_event, last.end_event, first.depth)


def _follows(before: ModuleCall, call: ModuleCall) -> bool:
    """Whether `call` runs right after `before` on the tensor it returned."""
    return call.first_event == before.end_event and bool(call.inputs) \
        and bool(before.outputs) and call.inputs[0].storage == before.outputs[0].storage


def passes_through(call: ModuleCall) -> bool:
    """Whether `call` runs no op and returns what it is given (Identity, Dropout at
    inference): it makes no tensor."""
    return call.first_event == call.end_event and len(call.outputs) == 1 \
        and bool(call.inputs) and call.outputs[0].storage == call.inputs[0].storage


def _classify(event: OpEvent) -> tuple[OpClass | None, bool]:
    """An op's class and whether it carries MACs, as its cost rule gives them."""
    cost = op_cost(event)
    return (None, False) if cost is None else (cost.op_class, cost.macs > 0)


class _Ops:
    """The ops of one trace, each classified once and only where a decision reads it."""

    def __init__(self, trace: Trace) -> None:
        self._trace = trace
        self._found: dict[int, tuple[OpClass | None, bool]] = {}

    def _op(self, index: int) -> tuple[OpClass | None, bool]:
        if index not in self._found:
            self._found[index] = _classify(self._trace.events[index])
        return self._found[index]

    def mac_classes(self, call: ModuleCall, limit: int | None = None) -> tuple[OpClass, ...]:
        """The classes of the MAC-carrying ops inside `call`, the first `limit` of them."""
        found: list[OpClass] = []
        for index in range(call.first_event, call.end_event):
            op_class, macs = self._op(index)
            if macs and op_class is not None:
                found.append(op_class)
                if len(found) == limit:
                    break
        return tuple(found)

    def is_tail(self, call: ModuleCall) -> bool:
        """Runs no MAC op but a norm or an activation, and returns its input's shape."""
        if len(call.outputs) != 1 or not call.inputs \
                or call.outputs[0].shape != call.inputs[0].shape:
            return False
        norm_or_activation = False
        for index in range(call.first_event, call.end_event):
            op_class, macs = self._op(index)
            if macs:
                return False
            norm_or_activation = norm_or_activation or op_class in _NORM_OR_ACTIVATION
        return norm_or_activation


_WEIGHTS = ("param", "buffer")


@dataclass(frozen=True, slots=True)
class FeatureMapSizes:
    """Which tensors of a trace are feature maps, and of which resolution: a 4-D tensor at a
    height and width in `sizes` (N x C x H x W), or a flat batch x features one (pooled
    features, logits: 1 x 1). Other tensors are laid out otherwise: a Swin or ConvNeXt
    block's N x H x W x C, attention's batch x heads x tokens x tokens, a transformer's
    tokens x features."""

    sizes: frozenset[tuple[int, int]]
    batch: int | None          # the first input's batch; None: a model without inputs

    def resolution(self, shape: Shape) -> tuple[int, int] | None:
        if len(shape) == 4:
            return (shape[2], shape[3]) if (shape[2], shape[3]) in self.sizes else None
        if len(shape) == 2 and self.batch in (None, shape[0]):
            return 1, 1
        return None


def _feature_map_sizes(trace: Trace) -> FeatureMapSizes:
    """The heights and widths at which the model holds N x C x H x W feature maps: its 4-D
    inputs', the activations in and out of convolutions and window pooling (ATen lays those
    out N x C x H x W), adaptive pooling's outputs from such maps, and 1 x 1."""
    sizes = {(1, 1)} | {(t.shape[2], t.shape[3]) for t in trace.inputs if len(t.shape) == 4}
    for event in trace.events:
        cost = op_cost(event)
        if cost is None:
            continue
        maps = [t for t in event.inputs if len(t.shape) == 4 and t.kind not in _WEIGHTS]
        if cost.geometry is not None:
            sizes.update((t.shape[2], t.shape[3]) for t in (*maps, *event.outputs[:1])
                         if len(t.shape) == 4)
        elif cost.op_class is OpClass.POOLING and maps \
                and (maps[0].shape[2], maps[0].shape[3]) in sizes:
            sizes.update((t.shape[2], t.shape[3]) for t in event.outputs[:1]
                         if len(t.shape) == 4)
    batch = trace.inputs[0].shape[0] if trace.inputs and trace.inputs[0].shape else None
    return FeatureMapSizes(frozenset(sizes), batch)


class ModelStructure:
    """One trace's calls as a tree, and the decisions of the module docstring on it. Build it
    once per trace: it classifies each op and decides each call once, for every question."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self._ops = _Ops(trace)
        self._children: dict[int, list[ModuleCall]] = {}
        self._parent: dict[int, ModuleCall] = {}
        self._roots: list[ModuleCall] = []
        by_path: dict[str, list[ModuleCall]] = {}
        for call in trace.calls:
            by_path.setdefault(call.path, []).append(call)
        for call in sorted(trace.calls, key=lambda c: c.first_event):   # stable: calls order
            parent = self._find_parent(call, by_path)
            if parent is None:
                self._roots.append(call)
            else:
                self._parent[id(call)] = parent
                self._children.setdefault(id(parent), []).append(call)
        self._returned: dict[int, int] | None = None
        self._units: dict[int, list[_Unit]] = {}
        self._own: dict[int, list[_Unit] | None] = {}
        self._parts: dict[int, list[_Unit] | None] = {}
        self._macs: dict[int, tuple[OpClass, ...]] = {}
        self._blocks: list[ModuleCall] | None = None
        self._maps: FeatureMapSizes | None = None

    def feature_map_sizes(self) -> FeatureMapSizes:
        """Which tensors are feature maps, and of which resolution (FeatureMapSizes)."""
        if self._maps is None:
            self._maps = _feature_map_sizes(self.trace)
        return self._maps

    def blocks(self) -> list[ModuleCall]:
        """The model's blocks in the order they run: the units of the model's children, with
        each that stands for its children replaced by its blocks."""
        if self._blocks is None:
            self._blocks = [block for root in self._roots
                            for block in self._blocks_of(self._units_of(root))]
        return self._blocks

    def blocks_within(self, call: ModuleCall) -> list[ModuleCall]:
        """The blocks `call` gives where it is a unit of a container: its own blocks when it
        stands for its children, else itself."""
        return self._blocks_of([_Unit((call,))])

    def is_single_layer(self, call: ModuleCall) -> bool:
        """Whether exactly one MAC-carrying op (a conv, a linear, a matmul) runs inside `call`,
        as in conv + norm + activation: one layer whatever its class, so its output is not a
        "bottleneck tensor". A block in which two or more run is a composite block; one in
        which none runs (pooling, flatten) is part of the head, whose pooled 1x1 tensor
        Table 3 lists."""
        return len(self._ops.mac_classes(call, 2)) == 1

    def mac_classes(self, call: ModuleCall) -> tuple[OpClass, ...]:
        """The classes of the MAC-carrying ops run inside `call`, in order (what `one_block`
        reads of a unit)."""
        if id(call) not in self._macs:
            self._macs[id(call)] = self._ops.mac_classes(call)
        return self._macs[id(call)]

    def is_layer_tail(self, call: ModuleCall) -> bool:
        """Whether `call` would join a single layer run just before it: it runs no MAC op but
        a norm or an activation, and returns its input's shape."""
        return self._ops.is_tail(call)

    @staticmethod
    def _find_parent(call: ModuleCall, by_path: dict[str, list[ModuleCall]]
                     ) -> ModuleCall | None:
        """The innermost call of an enclosing module that spans `call` (a ModuleList is never
        called: its items are children of the module that loops over them)."""
        path = call.path
        while path:
            path = path.rpartition(".")[0]
            for outer in by_path.get(path, ()):
                if outer is not call and outer.first_event <= call.first_event \
                        and call.end_event <= outer.end_event:
                    return outer
        return None

    def _units_of(self, call: ModuleCall) -> list[_Unit]:
        if id(call) in self._units:
            return self._units[id(call)]
        units: list[_Unit] = []
        for child in self._children.get(id(call), []):
            if passes_through(child) and self._returned_by(child.outputs[0].storage) \
                    <= child.first_event:
                continue                   # hands on a tensor a module made: adds nothing
            before = units[-1].call if units else None
            if before is not None and _follows(before, child) and self._ops.is_tail(child) \
                    and len(self._ops.mac_classes(before, 2)) == 1:
                units[-1] = _Unit((*units[-1].members, child))
                continue
            units.append(_Unit((child,)))
        self._units[id(call)] = units
        return units

    def _returned_by(self, storage: int) -> float:
        """When a module that runs an op first returned the tensor (-1: the model's input)."""
        if self._returned is None:
            self._returned = {t.storage: -1 for t in self.trace.inputs}
            for call in self.trace.calls:
                for out in call.outputs if not passes_through(call) else ():
                    self._returned[out.storage] = min(
                        self._returned.get(out.storage, call.end_event), call.end_event)
        return self._returned.get(storage, math.inf)

    def _parts_of(self, call: ModuleCall) -> list[_Unit] | None:
        """The units `call` stands for, or None when it is a block (see the module
        docstring)."""
        if id(call) not in self._parts:
            own = self._own_parts(call)
            joined = own is not None and self._repeats_a_block(call, own)
            self._parts[id(call)] = None if joined else own
        return self._parts[id(call)]

    def _own_parts(self, call: ModuleCall) -> list[_Unit] | None:
        """`_parts_of` read from `call` and what it holds, not from its siblings."""
        if id(call) not in self._own:
            self._own[id(call)] = self._decide(call)
        return self._own[id(call)]

    def _decide(self, call: ModuleCall) -> list[_Unit] | None:
        if self._runs_own_op(call):
            return None                    # a residual add, a concat, a reshape
        units = self._units_of(call)
        if len(units) == 1 and len(units[0].members) == 1:
            return units if self._parts_of(units[0].members[0]) is not None else None
        if len(units) < 2 or one_block([self._ops.mac_classes(u.call, 2) for u in units]):
            return None
        return units

    def _repeats_a_block(self, call: ModuleCall, parts: list[_Unit]) -> bool:
        """Whether `call`, a row of layers, repeats a sibling that is a block of its own
        (runs the same MAC ops in order): the repeat that changes the shape drops the skip
        connection its like repeats carry (EfficientNetV2's fused blocks)."""
        parent = self._parent.get(id(call))
        siblings = [] if parent is None else [
            unit.members[0] for unit in self._units_of(parent)
            if len(unit.members) == 1 and unit.members[0] is not call]
        if not siblings or not all(len(self._ops.mac_classes(block, 2)) <= 1
                                   for block in self._blocks_of(parts)):
            return False
        macs = self.mac_classes(call)
        return any(self._ops.mac_classes(other, len(macs) + 1) == macs
                   and self._own_parts(other) is None for other in siblings)

    def _runs_own_op(self, call: ModuleCall) -> bool:
        """Whether an op runs inside `call` outside its children's calls."""
        covered, end = 0, call.first_event
        for child in self._children.get(id(call), []):
            covered += max(0, child.end_event - max(child.first_event, end))
            end = max(end, child.end_event)
        return covered < call.end_event - call.first_event

    def _blocks_of(self, units: Iterable[_Unit]) -> list[ModuleCall]:
        found: list[ModuleCall] = []
        for unit in units:
            inner = self._parts_of(unit.members[0]) if len(unit.members) == 1 else None
            found += [unit.call] if inner is None else self._blocks_of(inner)
        return found


def blocks_of(trace: Trace) -> list[ModuleCall]:
    """The model's blocks in the order they run (`ModelStructure.blocks`, for a caller that
    asks nothing else of the trace's structure)."""
    return ModelStructure(trace).blocks()
