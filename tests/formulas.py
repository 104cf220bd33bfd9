"""Hand formulas for the MACs of a few architectures, written from the papers' tables and
independent of costlab's counting, so that tests can check totals and ratios against them."""

from __future__ import annotations


def make_divisible(channels: float, divisor: int = 8) -> int:
    """The reference rounding (TF-slim, torchvision): to a multiple of 8, never down by more
    than 10%."""
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * channels else rounded


# MobileNetV2, Table 2: (t, c, n, s) of each bottleneck row, on 112 x 112 x 32.
V2_ROWS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
           (6, 160, 3, 2), (6, 320, 1, 1))


def mobilenetv2_macs(alpha: float = 1.0, resolution: int = 224,
                     classes: int = 1000) -> dict[str, int]:
    """Conv and linear MACs of MobileNetV2 by kind: out H x W x C_out x (C_in / groups) x k^2
    for every conv (stride-2 3x3 convs with padding 1 give ceil(H / 2)), plus the classifier."""
    h = (resolution + 1) // 2
    c_in = make_divisible(32 * alpha)
    macs = {"stem": h * h * c_in * 3 * 9, "depthwise": 0, "pointwise": 0}
    for t, c, n, s in V2_ROWS:
        c_out = make_divisible(c * alpha)
        for i in range(n):
            h_out = (h + 1) // 2 if i == 0 and s == 2 else h
            hidden = c_in * t
            if t != 1:
                macs["pointwise"] += h * h * c_in * hidden        # 1x1 expansion
            macs["depthwise"] += h_out * h_out * hidden * 9       # 3x3 depthwise
            macs["pointwise"] += h_out * h_out * hidden * c_out   # 1x1 linear projection
            h, c_in = h_out, c_out
    last = make_divisible(1280 * alpha) if alpha > 1 else 1280
    macs["pointwise"] += h * h * c_in * last
    macs["classifier"] = last * classes
    return macs


def mobilenetv1_macs(resolution: int = 224, classes: int = 1000) -> int:
    """MobileNetV1, Table 1 at alpha 1: the 3x3 stem, 13 depthwise-separable layers
    (depthwise H x W x C x 9 + pointwise H x W x C_in x C_out) and the classifier."""
    h = (resolution + 1) // 2
    total = h * h * 32 * 3 * 9
    c_in = 32
    for c_out, s in ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
                     (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)):
        h = (h + 1) // 2 if s == 2 else h
        total += h * h * c_in * 9 + h * h * c_in * c_out
        c_in = c_out
    return total + 1024 * classes


def vgg16_macs(classes: int = 1000) -> int:
    """VGG-16 (configuration D) at 224: 13 3x3 convs with padding 1, 2x2 pooling after each
    stage, and three fully connected layers on 7 x 7 x 512."""
    total, h, c_in = 0, 224, 3
    for c_out, n in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(n):
            total += h * h * c_out * c_in * 9
            c_in = c_out
        h //= 2
    return total + 7 * 7 * 512 * 4096 + 4096 * 4096 + 4096 * classes


def attention_macs(queries: int, keys: int, dim: int, heads: int, head_dim: int,
                   kv_heads: int | None = None) -> int:
    """One multi-head attention: the Q projection (queries x dim x heads x head_dim), the K
    and V projections over the keys with `kv_heads` heads (grouped-query attention shares
    each K/V head among heads / kv_heads query heads), the scores Q K^T and the weighted sum
    (heads x queries x keys x head_dim each), and the output projection back to dim."""
    kv_heads = heads if kv_heads is None else kv_heads
    return (queries * dim * heads * head_dim             # Q
            + 2 * keys * dim * kv_heads * head_dim       # K, V
            + 2 * heads * queries * keys * head_dim      # scores, weighted sum
            + queries * heads * head_dim * dim)          # output projection


def mlp_macs(tokens: int, dim: int, hidden: int, gated: bool = False) -> int:
    """A transformer MLP: up and down projections; a gated one (SwiGLU, gated-GELU) has a
    second up projection, the gate."""
    return (3 if gated else 2) * tokens * dim * hidden
