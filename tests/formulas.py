"""Hand formulas for the MACs of a few architectures, written from the papers' tables and
independent of costlab's counting, so that tests can check totals and ratios against them;
and torch's own parameter count of the modules costlab builds."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from costlab.blocks.build import build_model
from costlab.spec.catalog import load_named_spec
from costlab.spec.schema import resolve_params


def make_divisible(channels: float, divisor: int = 8) -> int:
    """The reference rounding (TF-slim, torchvision): to a multiple of 8, never down by more
    than 10%."""
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * channels else rounded


# MobileNetV2, Table 2: (t, c, n, s) of each bottleneck row, on 112 x 112 x 32.
V2_ROWS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
           (6, 160, 3, 2), (6, 320, 1, 1))


@dataclass(frozen=True, slots=True)
class Conv:
    """One conv + batch norm (+ ReLU6) layer on a square feature map: sizes and window."""

    h_in: int
    h_out: int
    c_in: int
    c_out: int
    k: int = 1
    groups: int = 1
    act: bool = True

    @property
    def weights(self) -> int:
        return self.c_out * self.c_in // self.groups * self.k * self.k

    @property
    def macs(self) -> int:
        """out H x W x C_out x (C_in / groups) x k^2."""
        return self.h_out * self.h_out * self.weights

    @property
    def out_elements(self) -> int:
        return self.h_out * self.h_out * self.c_out


@dataclass(frozen=True, slots=True)
class Block:
    """One repeat of a Table 2 row (row 0 is the stem conv, row 8 the last 1x1 conv)."""

    row: int
    convs: tuple[Conv, ...]
    residual: bool = False    # adds its input to its output: stride 1, C_in = C_out


def mobilenetv2_last_channels(alpha: float = 1.0) -> int:
    """The last 1x1 conv's 1280 channels: never reduced for alpha < 1, widened above 1."""
    return make_divisible(1280 * alpha) if alpha > 1 else 1280


def mobilenetv2_blocks(alpha: float = 1.0, resolution: int = 224) -> list[Block]:
    """Table 2's rows as conv layers: stride-2 3x3 convs with padding 1 give ceil(H / 2); a
    row's first repeat has stride s, the others 1."""
    h = (resolution + 1) // 2
    c_in = make_divisible(32 * alpha)
    blocks = [Block(0, (Conv(resolution, h, 3, c_in, k=3),))]
    for row, (t, c, n, s) in enumerate(V2_ROWS, start=1):
        c_out = make_divisible(c * alpha)
        for i in range(n):
            h_out = (h + 1) // 2 if i == 0 and s == 2 else h
            hidden = c_in * t
            expand = (Conv(h, h, c_in, hidden),) if t != 1 else ()
            convs = (*expand, Conv(h, h_out, hidden, hidden, k=3, groups=hidden),
                     Conv(h_out, h_out, hidden, c_out, act=False))   # linear projection
            blocks.append(Block(row, convs, residual=h_out == h and c_in == c_out))
            h, c_in = h_out, c_out
    blocks.append(Block(8, (Conv(h, h, c_in, mobilenetv2_last_channels(alpha)),)))
    return blocks


def mobilenetv2_macs(alpha: float = 1.0, resolution: int = 224,
                     classes: int = 1000) -> dict[str, int]:
    """Conv and linear MACs of MobileNetV2 by kind: the stem, the depthwise and the pointwise
    (1x1) convs, and the classifier."""
    blocks = mobilenetv2_blocks(alpha, resolution)
    convs = [conv for block in blocks[1:] for conv in block.convs]
    return {"stem": blocks[0].convs[0].macs,
            "depthwise": sum(c.macs for c in convs if c.groups > 1),
            "pointwise": sum(c.macs for c in convs if c.groups == 1),
            "classifier": mobilenetv2_last_channels(alpha) * classes}


def mobilenetv2_row_macs(alpha: float = 1.0, resolution: int = 224,
                         classes: int = 1000) -> list[int]:
    """MACs of each MAC-carrying row of Table 2, in order: the stem, the seven bottleneck
    rows, the last 1x1 conv and the classifier ("conv2d 1x1, k")."""
    per_row = [0] * 9
    for block in mobilenetv2_blocks(alpha, resolution):
        per_row[block.row] += sum(c.macs for c in block.convs)
    return [*per_row, mobilenetv2_last_channels(alpha) * classes]


def mobilenetv2_weights(alpha: float = 1.0, classes: int = 1000) -> int:
    """Parameters without batch norm (the papers' and TF-slim's count): every conv kernel,
    and the classifier's weight and bias."""
    kernels = sum(c.weights for block in mobilenetv2_blocks(alpha) for c in block.convs)
    return kernels + (mobilenetv2_last_channels(alpha) + 1) * classes


def mobilenetv2_elementwise(alpha: float = 1.0, resolution: int = 224,
                            classes: int = 1000) -> dict[str, int]:
    """Element-wise ops by costlab's op class, under README's conventions: batch norm's scale
    and shift (2 per element) after every conv, ReLU6 (1) after all but the projections, the
    residual adds (1), the global average pool (1 per input element) and the classifier's bias
    add (1 per output); the convs have no bias."""
    blocks = mobilenetv2_blocks(alpha, resolution)
    convs = [conv for block in blocks for conv in block.convs]
    return {"batch norm": 2 * sum(c.out_elements for c in convs),
            "activation": sum(c.out_elements for c in convs if c.act),
            "element-wise add/mul": sum(b.convs[-1].out_elements for b in blocks if b.residual),
            "pooling": convs[-1].out_elements,
            "linear/matmul": classes}


def mobilenetv2_largest_elements(alpha: float = 1.0, resolution: int = 224) -> int:
    """The largest activation: the largest conv output (the expansion of the first stride-2
    row, 96 x 112 x 112 at alpha 1)."""
    return max(c.out_elements for block in mobilenetv2_blocks(alpha, resolution)
               for c in block.convs)


def mobilenetv2_peak_elements(alpha: float = 1.0, resolution: int = 224,
                              classes: int = 1000) -> int:
    """Peak live activation elements of one forward pass, each op's inputs and outputs live
    while it runs and every tensor freed after its last use: conv, batch norm and ReLU6 each
    write a new tensor, and a residual block holds its input until its add. Batch norm also
    returns its per-channel mean and inverse std (C each), as the meta and CUDA kernels do (the
    CPU kernel returns them empty in inference)."""
    live = [3 * resolution * resolution]            # the image, until the stem conv has read it
    x = live[0]
    for block in mobilenetv2_blocks(alpha, resolution):
        held = x if block.residual else 0
        n_in = x
        for i, conv in enumerate(block.convs):
            n_out = conv.out_elements
            live.append((held if i else 0) + n_in + n_out)    # the first conv reads `held`
            live.append(held + 2 * n_out + 2 * conv.c_out)   # batch norm
            if conv.act:
                live.append(held + 2 * n_out)                 # ReLU6
            n_in = n_out
        if block.residual:
            live.append(3 * n_in)                             # x + project(x)
        x = n_in
    channels = mobilenetv2_last_channels(alpha)
    live += [x + channels, channels + classes]                # global pool, classifier
    return max(live)


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


def lenet5_macs(classes: int = 10) -> int:
    """LeNet-5 on 32 x 32: C1 (28^2 x 6 x 5^2), C3 (10^2 x 16 x 6 x 5^2, every map to every
    map), C5 (120 x 16 x 5^2), F6 (120 x 84) and the output (84 x classes)."""
    return 28 * 28 * 6 * 25 + 10 * 10 * 16 * 6 * 25 + 120 * 16 * 25 + 120 * 84 + 84 * classes


def alexnet_macs(classes: int = 1000) -> int:
    """AlexNet as torchvision builds it (Krizhevsky 2014's one-GPU form) at 224: convs on 55^2
    (11x11 s4 on 3 channels), 27^2 (5x5), 13^2 (three 3x3), then three fully connected
    layers on 6 x 6 x 256."""
    convs = (55 * 55 * 64 * 3 * 121 + 27 * 27 * 192 * 64 * 25
             + 13 * 13 * (384 * 192 + 256 * 384 + 256 * 256) * 9)
    return convs + 6 * 6 * 256 * 4096 + 4096 * 4096 + 4096 * classes


def toy_macs(alpha: float = 1.0, stem_channels: int = 16) -> int:
    """tests/conftest.py's TOY_SPEC at 32 x 32: a 3x3 s2 stem conv (16 x 16), a depthwise
    separable layer (3x3 s2 depthwise, then 1x1 to 32 on 8 x 8), two bottlenecks (t 6, 32
    channels) and the classifier to 10; channels x alpha rounded by make_divisible."""
    stem, wide = make_divisible(stem_channels * alpha), make_divisible(32 * alpha)
    hidden = 6 * wide
    bottleneck = 8 * 8 * (wide * hidden + hidden * 9 + hidden * wide)
    return (16 * 16 * stem * 3 * 9 + 8 * 8 * stem * 9 + 8 * 8 * stem * wide
            + 2 * bottleneck + wide * 10)


def torch_stage_params(model: str, **settings: float) -> dict[str, int]:
    """torch's count of every nn.Parameter of each child of the model costlab builds from the
    spec (its stages), leaving out dropout: in inference it runs no op and has no parameter."""
    spec = load_named_spec(model)
    built = build_model(spec, resolve_params(spec, settings))
    return {name: sum(p.numel() for p in child.parameters())
            for name, child in built.module.named_children() if not isinstance(child, nn.Dropout)}
