"""Sizes the documents quote for other networks: parameter counts and sizes on disk (seeds
001, 003 and 004), against the architectures costlab builds."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import torch
from torch import nn

from costlab.analyses.analysis import analyze
from costlab.analyses.verdicts import Verdict, judge
from costlab.papers.claims import Claim
from costlab.papers.mobilenet import PARAMS
from costlab.papers.tables import Evaluator, PaperTable, entry_claims, paper_table, table_section
from costlab.render import Column, Unit

__all__ = ["FP32_BYTES", "disk_bytes"]

FP32_BYTES = 4


def disk_bytes(params: int) -> int:
    """A checkpoint's size on disk: every parameter stored as a 32-bit float."""
    return params * FP32_BYTES


@paper_table("network-sizes")
def network_sizes(ev: Evaluator) -> PaperTable:
    """Seeds 001, 003 and 004: parameter counts and disk sizes of LeNet, AlexNet, VGG-16,
    MobileNetV2 and ResNet-152."""
    claims = entry_claims(ev, [("lenet5", "001", None), ("alexnet", "001", "text"),
                               ("vgg16", "001", "text")])
    vgg = ev.analysis("vgg16").totals["params"]
    v2 = ev.analysis("mobilenetv2").totals["params"]
    standard = ev.analysis("mobilenetv2_standard_001", {"num_classes": 1000}).totals["params"]
    v1 = ev.analysis("mobilenetv1").totals["params"]
    models = importlib.import_module("torchvision.models")   # torchvision ships no hints
    build: Callable[[], nn.Module] = models.resnet152
    with torch.device("meta"):   # built without allocating its 60M weights
        resnet152 = analyze(build()).totals["params"]
    rows = []
    for label, params in (("VGG-16", vgg), ("MobileNetV2 (1.0, 224)", v2),
                          ("Standard MobileNetV2 (seed 001), 1000 classes", standard),
                          ("MobileNetV1 (1.0, 224)", v1), ("ResNet-152 (torchvision)",
                                                           resnet152)):
        rows.append((label, params, disk_bytes(params), disk_bytes(params) / 1e6,
                     disk_bytes(params) / 2 ** 20))
    verdict, reading = judge("553", disk_bytes(vgg) / 1e6)
    claims.append(Claim("001", "section 1", "VGG16 requires a disk size of 553MB", "553MB",
                        f"{disk_bytes(vgg) / 1e6:.1f} MB", reading or "fp32, 10^6 bytes",
                        verdict))
    verdict, reading = judge("17.2", disk_bytes(v2) / 1e6, [
        ("the Standard model of seed 001 at 1000 classes, fp32", disk_bytes(standard) / 1e6),
        ("MobileNetV1, fp32", disk_bytes(v1) / 1e6),
        ("MobileNetV2 in MiB", disk_bytes(v2) / 2 ** 20)])
    claims.append(Claim("001", "section 1", "MobileNetV2 requires a disk size of 17.2MB",
                        "17.2MB", f"{disk_bytes(v2) / 1e6:.1f} MB (MobileNetV2, fp32)", reading,
                        verdict))
    verdict, _ = judge("300", disk_bytes(resnet152) / 1e6)
    claims.append(Claim("003", "last slide", "ResNet-152 models are 300MB+", "300MB+",
                        f"{disk_bytes(resnet152) / 1e6:.1f} MB ({resnet152:,} parameters, "
                        "fp32)", "would need 300 MB or more; the fp32 weights are "
                        f"{disk_bytes(resnet152) / 3e8:.0%} of that",
                        Verdict.EXACT if disk_bytes(resnet152) >= 3e8 else Verdict.DIFFERS))
    claims.append(Claim("004", "section 2", "VGGNet has over 130 million parameters",
                        "130M+", f"{vgg:,} (VGG-16)", "", Verdict.EXACT if vgg > 130e6
                        else Verdict.DIFFERS))
    return PaperTable(
        "Parameter counts and sizes on disk of other networks (seeds 001, 003, 004)",
        "seed 001, sections 1 and 2.1; seed 003, the ShuffleNet/MobileNet article it quotes; "
        "seed 004, section 2",
        (table_section("sizes", "Computed: parameters and fp32 weights", (
            Column("network", "network"), Column("params", "parameters (torch)", Unit.INT),
            Column("bytes", "fp32 bytes", Unit.INT),
            Column("mb", "MB (10^6 B)", Unit.FLOAT, digits=1),
            Column("mib", "MiB", Unit.FLOAT, digits=1)), rows),),
        notes=("A checkpoint on disk is taken as its parameters at 4 bytes each (no "
               "optimizer state, no file format overhead).",),
        conventions=(PARAMS, "disk size: parameters x 4 bytes; MB = 10^6 bytes"),
        claims=tuple(claims))
