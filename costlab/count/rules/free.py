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
    "as_strided_",   # convnext's and swin's in-place restride: metadata only
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
    # Indexing and selection by value (swin's relative-position bias, detection's box
    # filters): a gather or scatter of values, no arithmetic.
    "index", "index_put", "index_put_", "_index_put_impl_", "nonzero", "masked_select",
    "_unique2", "unique_consecutive", "lift_fresh_copy",
    "im2col",   # nn.Unfold: copies each window's values into a column; the matmul after counts
    "new_empty_strided",   # autograd allocates parameter gradients with it
    "bernoulli_",          # dropout's random mask, in train mode
])
