"""Real zoo models (torchvision, timm, Hugging Face built from configs; nothing downloaded):
the MACs each counter reports against the published or hand figure, with time, peak memory
and failures.

References: torchvision's own published `_ops` (GMACs, 3 decimals) for its models; for the
others a hand formula (tests/formulas.py: QKV with grouped K/V heads, scores, weighted sum,
projection, MLP, head), the same ones tests/models/ assert costlab equals exactly.

Each (tool, model) pair runs in a fresh subprocess with a timeout, one after the other
(harness.run_worker), at one torch thread. costlab gets the zoo shorthand (it builds on meta
inside the timed call); every other tool gets the model built with random weights on the
CPU, in eval mode, and a zero image or token ids of ones, given as the tool accepts them
(keywords where it takes keywords, else positionally in the forward's order).
FlopCounterMode reports FLOPs; its figure is halved to MACs.

    timeout 3600 python benchmarks/zoo.py > /tmp/zoo.md    # 40 min on 2 loaded cores
    python benchmarks/zoo.py --models hf:llama-gqa --tools costlab fvcore --repeats 1
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import inspect
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests.formulas

from tests.formulas import attention_macs, mlp_macs

TOKENS, DECODER_TOKENS = 128, 32


@dataclass(frozen=True, slots=True)
class ZooCase:
    """A zoo model: its costlab name, the config fields (hf), the input, and the reference."""

    name: str
    image: int | None = None                 # an image side; else token ids
    config: dict[str, Any] = field(default_factory=dict)
    hand_macs: int | None = None              # None: torchvision's published _ops


def _vit(tokens: int, dim: int, layers: int, mlp: int, heads: int, classes: int) -> int:
    """Patch embedding (16 x 16 conv on 196 patches), the layers, the class-token head."""
    return (196 * dim * 3 * 16 * 16
            + layers * (attention_macs(tokens, tokens, dim, heads, dim // heads)
                        + mlp_macs(tokens, dim, mlp)) + dim * classes)


def _encoder(tokens: int, dim: int, layers: int, heads: int, mlp: int, gated: bool = False,
             kv_heads: int | None = None) -> int:
    return layers * (attention_macs(tokens, tokens, dim, heads, dim // heads, kv_heads)
                     + mlp_macs(tokens, dim, mlp, gated))


_T5_DECODER = 6 * (attention_macs(DECODER_TOKENS, DECODER_TOKENS, 512, 8, 64)
                   + attention_macs(DECODER_TOKENS, TOKENS, 512, 8, 64)   # cross-attention
                   + mlp_macs(DECODER_TOKENS, 512, 2048))
_LLAMA = {"hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 4,
          "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 32000,
          "architectures": ["LlamaForCausalLM"]}
CASES = {case.name: case for case in [
    ZooCase("torchvision:resnet50", 224),
    ZooCase("torchvision:mobilenet_v3_large", 224),
    ZooCase("torchvision:efficientnet_b0", 224),
    ZooCase("torchvision:regnet_y_400mf", 224),
    ZooCase("torchvision:convnext_tiny", 224),
    ZooCase("torchvision:swin_t", 224),
    ZooCase("torchvision:vit_b_16", 224),
    ZooCase("torchvision:ssdlite320_mobilenet_v3_large", 320),
    ZooCase("timm:vit_small_patch16_224", 224, hand_macs=_vit(197, 384, 12, 1536, 6, 1000)),
    ZooCase("hf:gpt2", config={"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]},
            hand_macs=_encoder(TOKENS, 768, 12, 12, 3072) + TOKENS * 768 * 50257),
    ZooCase("hf:bert-base", config={"model_type": "bert",
                                    "architectures": ["BertForSequenceClassification"]},
            hand_macs=_encoder(TOKENS, 768, 12, 12, 3072) + 768 * 768 + 768 * 2),
    ZooCase("hf:llama-gqa", config={"model_type": "llama", **_LLAMA},
            hand_macs=_encoder(TOKENS, 512, 4, 8, 1376, gated=True, kv_heads=2)
            + TOKENS * 512 * 32000),
    ZooCase("hf:t5-small", config={"model_type": "t5",
                                   "architectures": ["T5ForConditionalGeneration"]},
            hand_macs=_encoder(TOKENS, 512, 6, 8, 2048) + _T5_DECODER
            + DECODER_TOKENS * 512 * 32128),
    ZooCase("hf:vit-base", 224, config={"model_type": "vit",
                                        "architectures": ["ViTForImageClassification"]},
            hand_macs=_vit(197, 768, 12, 3072, 12, 2)),
]}


def _hf_config(case: ZooCase) -> Any:
    import transformers
    fields = dict(case.config)
    return transformers.AutoConfig.for_model(fields.pop("model_type"), **fields)


def _hf_dir(case: ZooCase) -> str:
    directory = tempfile.mkdtemp(prefix="costlab-zoo-")
    _hf_config(case).save_pretrained(directory)
    return directory


def _kwargs(case: ZooCase, device: str = "cpu") -> dict[str, Any]:
    """The forward's keyword inputs: an image, or token ids (T5: decoder ids too)."""
    import torch
    if case.image is not None:
        key = "pixel_values" if case.name.startswith("hf:") else "x"
        return {key: torch.zeros(1, 3, case.image, case.image, device=device)}
    ids = {"input_ids": torch.ones(1, TOKENS, dtype=torch.int64, device=device)}
    if "t5" in case.name:
        ids["decoder_input_ids"] = torch.ones(1, DECODER_TOKENS, dtype=torch.int64,
                                              device=device)
    return ids


def _cpu_model(case: ZooCase) -> Any:
    """The model with random weights on the CPU, in eval mode."""
    zoo, _, name = case.name.partition(":")
    if zoo == "torchvision":
        import torchvision
        extra = {"weights_backbone": None} if "ssd" in name else {}
        return torchvision.models.get_model(name, weights=None, **extra).eval()
    if zoo == "timm":
        import timm
        return timm.create_model(name, pretrained=False).eval()
    import transformers
    config = _hf_config(case)
    return getattr(transformers, config.architectures[0])(config).eval()


def _positional(model: Any, kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """The keyword inputs in the forward's order, None in the gaps (for positional tools)."""
    if list(kwargs) == ["x"] or "pixel_values" in kwargs:
        return tuple(kwargs.values())
    names = list(inspect.signature(model.forward).parameters)
    last = max(names.index(key) for key in kwargs)
    return tuple(kwargs.get(name) for name in names[:last + 1])


Runner = Callable[[], int]


def _costlab(case: ZooCase) -> Runner:
    import costlab
    from costlab.trace.inputs import InputSpec
    model = f"hf:{_hf_dir(case)}" if case.name.startswith("hf:") else case.name
    inputs: Any = [(1, 3, case.image, case.image)] if case.image else {
        key: InputSpec(tuple(t.shape), t.dtype) for key, t in _kwargs(case).items()}
    if case.image and case.name.startswith("hf:"):
        inputs = None   # the config's own pixel_values input
    return lambda: int(costlab.analyze(model, inputs=inputs).totals["macs"])


def _flop_counter(device: str) -> Callable[[ZooCase], Runner]:
    def prepare(case: ZooCase) -> Runner:
        import torch
        from torch.utils.flop_counter import FlopCounterMode
        model = _cpu_model(case).to(device)
        kwargs = _kwargs(case, device)

        def run() -> int:
            with FlopCounterMode(display=False) as counter, torch.no_grad():
                model(**kwargs) if "x" not in kwargs else model(kwargs["x"])
            return int(counter.get_total_flops()) // 2
        return run
    return prepare


def _fvcore(case: ZooCase) -> Runner:
    model = _cpu_model(case)
    args = _positional(model, _kwargs(case))
    return lambda: harness.fvcore_total(model, args)


def _thop(case: ZooCase) -> Runner:
    from thop import profile
    model = _cpu_model(case)
    args = _positional(model, _kwargs(case))
    return lambda: int(profile(model, inputs=args, verbose=False)[0])


def _ptflops(case: ZooCase) -> Runner:
    from ptflops import get_model_complexity_info
    model = _cpu_model(case)
    kwargs = _kwargs(case)

    def run() -> int:
        macs, _ = get_model_complexity_info(
            model, (1,), as_strings=False, print_per_layer_stat=False, verbose=False,
            input_constructor=lambda _: kwargs.get("x", kwargs))
        return int(macs)
    return run


def _torchinfo(case: ZooCase) -> Runner:
    from torchinfo import summary
    model = _cpu_model(case)
    kwargs = _kwargs(case)
    data = kwargs.get("x", kwargs)
    return lambda: int(summary(model, input_data=data, verbose=0).total_mult_adds)


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    library: str
    prepare: Callable[[ZooCase], Runner]


TOOLS = {tool.name: tool for tool in [
    Tool("costlab", "costlab", _costlab),
    Tool("FlopCounterMode", "torch", _flop_counter("cpu")),
    Tool("FlopCounterMode-meta", "torch", _flop_counter("meta")),
    Tool("fvcore", "fvcore", _fvcore),
    Tool("thop", "thop", _thop),
    Tool("ptflops", "ptflops", _ptflops),
    Tool("torchinfo", "torchinfo", _torchinfo),
]}


def _worker(tool: str, model: str, repeats: int) -> dict[str, Any]:
    import torch
    torch.set_num_threads(1)
    harness.preload_torch()
    with contextlib.redirect_stdout(sys.stderr):   # keep stdout for the JSON line
        start = time.perf_counter()
        run = TOOLS[tool].prepare(CASES[model])
        setup_s = time.perf_counter() - start
        first = harness.measure_call(run)
        median_s = harness.median_seconds(run, repeats, warmup=0) if repeats else None
    return {"macs": first.result, "first_s": first.seconds, "median_s": median_s,
            "peak_bytes": first.peak_bytes, "setup_s": setup_s}


def _reference(case: ZooCase) -> tuple[float, str]:
    """The reference MACs and how they are known."""
    if case.hand_macs is not None:
        return case.hand_macs, "hand"
    import torchvision
    weights = torchvision.models.get_model_weights(case.name.partition(":")[2]).DEFAULT
    return weights.meta["_ops"] * 1e9, "published"


def _verdict(macs: int, reference: float, how: str) -> str:
    if how == "published":
        return "= published" if round(macs / 1e9, 3) == round(reference / 1e9, 3) else \
            f"{(macs - reference) / reference:+.2%}"
    return "= hand" if macs == reference else f"{(macs - reference) / reference:+.2%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(CASES), choices=list(CASES),
                        metavar="MODEL", help=f"among {', '.join(CASES)} (default: all)")
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS),
                        metavar="TOOL", help=f"among {', '.join(TOOLS)} (default: all)")
    parser.add_argument("--repeats", type=int, default=1, help="timed calls after the first")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per row")
    parser.add_argument("--worker", nargs=2, metavar=("TOOL", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(*args.worker, args.repeats)))
        return
    print(f"Machine: {harness.machine()}; one torch thread per tool\n")
    # one markdown row per measurement, printed as it comes: a long run cut short keeps its rows
    print("| model | tool | MACs reported | vs reference | time ms | peak MiB | failure |")
    print("|---|---|--:|--:|--:|--:|---|", flush=True)
    for model in args.models:
        reference, how = _reference(CASES[model])
        for tool in args.tools:
            if importlib.util.find_spec(TOOLS[tool].library) is None:
                figures: dict[str, Any] = {"error": f"{TOOLS[tool].library} not installed"}
            else:
                figures = harness.run_worker(
                    [sys.executable, __file__, "--worker", tool, model,
                     "--repeats", str(args.repeats)], args.timeout)
            row = [model, tool, "", "", "", "", figures.get("error", "")]
            if "error" not in figures:
                row[2:6] = [f"{figures['macs']:,}", _verdict(figures["macs"], reference, how),
                            harness.fmt_ms(figures["median_s"] or figures["first_s"]),
                            harness.fmt_mib(figures["peak_bytes"])]
            print("| " + " | ".join(row) + " |", flush=True)
        print(f"| {model} | ({how}) | {round(reference):,} | | | | |", flush=True)
    print(f"\nLoad average at the end: {harness.load_average()}.")

if __name__ == "__main__":
    main()
