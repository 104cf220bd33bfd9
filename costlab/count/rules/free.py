"""Ops that do no arithmetic, registered as free on purpose so "free" is a visible decision."""

from __future__ import annotations

from costlab.count.rules.registry import OpClass, free_ops

__all__: list[str] = []

# Views and metadata: no data moves.
free_ops(OpClass.FREE, [
    "view", "_unsafe_view", "reshape", "t", "transpose", "permute", "expand", "squeeze",
    "unsqueeze", "flatten", "unflatten", "select", "slice", "narrow", "detach", "alias",
    "as_strided", "split", "split_with_sizes", "chunk", "unbind", "view_as", "expand_as",
    "lift_fresh", "unsafe_split", "movedim", "diagonal", "_reshape_alias", "t_", "transpose_",
    "squeeze_", "unsqueeze_",
])
# Allocation and data movement: bytes move, no arithmetic (the memory analyses see them).
free_ops(OpClass.MEMORY, [
    "empty", "empty_like", "empty_strided", "zeros", "zeros_like", "ones", "ones_like", "full",
    "full_like", "fill", "fill_", "zero_", "new_empty", "new_zeros", "new_ones", "new_full",
    "clone", "contiguous", "_to_copy", "copy", "copy_", "cat", "stack", "constant_pad_nd",
    "embedding", "index_select", "gather", "arange", "dropout", "native_dropout", "_unsafe_index",
    "masked_fill", "masked_fill_", "repeat", "roll", "pixel_shuffle", "pixel_unshuffle",
    "channel_shuffle",
    "upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "_upsample_nearest_exact2d",
    "native_channel_shuffle", "scalar_tensor", "_local_scalar_dense",
    "tril", "triu",   # masks: a copy with zeros (causal attention builds one)
    "new_empty_strided",   # autograd allocates parameter gradients with it
    "bernoulli_",          # dropout's random mask, in train mode
])
