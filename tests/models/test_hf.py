"""Hugging Face BERT, a grouped-query-attention Llama, ViT and T5 built from small configs
(`hf:DIR`, nothing downloaded): MACs and parameters equal hand formulas, and torch's
FlopCounterMode agrees on meta and misses exactly the attention on the CPU.

GPT-2 (with an attention mask) and Whisper's parameters are in tests/models/test_zoo.py.
FlopCounterMode counts 2 FLOPs per MAC of mm, addmm, bmm, convolution and the SDPA
kernels it knows. On meta, SDPA runs as its math decomposition (bmm, softmax), so it counts
every MAC costlab counts. On the CPU, SDPA dispatches to
`_scaled_dot_product_flash_attention_for_cpu`, for which it has no formula: it misses the
scores and the weighted sum of every attention, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from costlab.api import analyze
from costlab.errors import ModelLoadError
from costlab.models.resolve import resolve_model
from costlab.trace.inputs import InputSpec
from tests.formulas import attention_macs, mlp_macs

transformers = pytest.importorskip("transformers")

TOKENS, DECODER_TOKENS, VOCAB, DIM, HEADS, HEAD_DIM, LAYERS = 16, 8, 1000, 64, 4, 16, 2


def _linear(fan_in: int, fan_out: int, bias: bool = True) -> int:
    return fan_in * fan_out + (fan_out if bias else 0)


def _scores(queries: int, keys: int) -> int:
    """The scores and the weighted sum of one attention, all heads."""
    return 2 * HEADS * queries * keys * HEAD_DIM


@dataclass(frozen=True, slots=True)
class Case:
    """A config, its inputs, and the hand figures."""

    config: Callable[[], Any]
    inputs: dict[str, InputSpec]
    macs: int
    params: int
    attention_scores: int   # what FlopCounterMode misses on the CPU


_BERT_LAYER = attention_macs(TOKENS, TOKENS, DIM, HEADS, HEAD_DIM) + mlp_macs(TOKENS, DIM, 128)
_LLAMA_LAYER = (attention_macs(TOKENS, TOKENS, DIM, HEADS, HEAD_DIM, kv_heads=2)
                + mlp_macs(TOKENS, DIM, 176, gated=True))   # SwiGLU: gate, up, down
_VIT_TOKENS = 4 * 4 + 1   # 32 x 32 in 8 x 8 patches, and the class token
_VIT_LAYER = (attention_macs(_VIT_TOKENS, _VIT_TOKENS, DIM, HEADS, HEAD_DIM)
              + mlp_macs(_VIT_TOKENS, DIM, 128))
_T5_DECODER_LAYER = (attention_macs(DECODER_TOKENS, DECODER_TOKENS, DIM, HEADS, HEAD_DIM)
                     + attention_macs(DECODER_TOKENS, TOKENS, DIM, HEADS, HEAD_DIM)   # cross
                     + mlp_macs(DECODER_TOKENS, DIM, 128))
_IDS = {"input_ids": InputSpec((1, TOKENS), torch.int64)}

CASES = {
    "bert": Case(
        lambda: transformers.BertConfig(
            hidden_size=DIM, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
            intermediate_size=128, vocab_size=VOCAB, max_position_embeddings=64, num_labels=3,
            architectures=["BertForSequenceClassification"]),
        _IDS,
        # the layers, the pooler (a linear on the [CLS] token), the 3-way classifier
        macs=LAYERS * _BERT_LAYER + DIM * DIM + DIM * 3,
        # word, position and token-type embeddings and their norm; per layer Q, K, V, output,
        # norm, MLP up and down, norm; the pooler; the classifier
        params=(VOCAB * DIM + 64 * DIM + 2 * DIM + 2 * DIM
                + LAYERS * (4 * _linear(DIM, DIM) + 2 * DIM + _linear(DIM, 128)
                            + _linear(128, DIM) + 2 * DIM)
                + _linear(DIM, DIM) + _linear(DIM, 3)),
        attention_scores=LAYERS * _scores(TOKENS, TOKENS)),
    "llama-gqa": Case(
        lambda: transformers.LlamaConfig(
            hidden_size=DIM, intermediate_size=176, num_hidden_layers=LAYERS,
            num_attention_heads=HEADS, num_key_value_heads=2, vocab_size=VOCAB,
            max_position_embeddings=64, architectures=["LlamaForCausalLM"]),
        _IDS,
        macs=LAYERS * _LLAMA_LAYER + TOKENS * DIM * VOCAB,   # + the (untied) LM head
        # embeddings; per layer Q and O (dim x dim), K and V (dim x 2 kv heads x 16), the
        # three SwiGLU projections, two RMS norms (no biases anywhere); final norm; LM head
        params=(VOCAB * DIM
                + LAYERS * (2 * DIM * DIM + 2 * DIM * 2 * HEAD_DIM + 3 * DIM * 176 + 2 * DIM)
                + DIM + DIM * VOCAB),
        attention_scores=LAYERS * _scores(TOKENS, TOKENS)),
    "vit": Case(
        lambda: transformers.ViTConfig(
            image_size=32, patch_size=8, hidden_size=DIM, num_hidden_layers=LAYERS,
            num_attention_heads=HEADS, intermediate_size=128, num_labels=10,
            architectures=["ViTForImageClassification"]),
        {"pixel_values": InputSpec((1, 3, 32, 32))},
        # the 8 x 8 stride-8 patch conv on 16 patches, the layers, the classifier on [CLS]
        macs=16 * DIM * 3 * 8 * 8 + LAYERS * _VIT_LAYER + DIM * 10,
        # class token, positions, patch conv; per layer 2 norms, Q, K, V, output, MLP; final
        # norm; classifier
        params=(DIM + _VIT_TOKENS * DIM + _linear(3 * 8 * 8, DIM)
                + LAYERS * (4 * DIM + 4 * _linear(DIM, DIM) + _linear(DIM, 128)
                            + _linear(128, DIM))
                + 2 * DIM + _linear(DIM, 10)),
        attention_scores=LAYERS * _scores(_VIT_TOKENS, _VIT_TOKENS)),
    "t5": Case(
        lambda: transformers.T5Config(
            d_model=DIM, d_kv=HEAD_DIM, d_ff=128, num_layers=LAYERS, num_decoder_layers=LAYERS,
            num_heads=HEADS, vocab_size=VOCAB, architectures=["T5ForConditionalGeneration"]),
        {**_IDS, "decoder_input_ids": InputSpec((1, DECODER_TOKENS), torch.int64)},
        macs=(LAYERS * (attention_macs(TOKENS, TOKENS, DIM, HEADS, HEAD_DIM)
                        + mlp_macs(TOKENS, DIM, 128))
              + LAYERS * _T5_DECODER_LAYER + DECODER_TOKENS * DIM * VOCAB),   # LM head
        # one embedding shared by encoder, decoder and the tied LM head; encoder layers: Q, K,
        # V, O and the MLP without biases, 2 RMS norms; decoder layers: self- and cross-
        # attention, MLP, 3 norms; relative position buckets (32 x heads) in each stack's
        # first layer; a final norm per stack
        params=(VOCAB * DIM
                + LAYERS * (4 * DIM * DIM + 2 * DIM * 128 + 2 * DIM)
                + LAYERS * (8 * DIM * DIM + 2 * DIM * 128 + 3 * DIM)
                + 2 * 32 * HEADS + 2 * DIM),
        attention_scores=LAYERS * (_scores(TOKENS, TOKENS) + _scores(DECODER_TOKENS,
                                                                      DECODER_TOKENS)
                                   + _scores(DECODER_TOKENS, TOKENS))),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> tuple[Case, Any, Any]:
    """The case, costlab's analysis of `hf:DIR`, and the model resolve_model built (meta)."""
    case = CASES[request.param]
    directory: Path = tmp_path_factory.mktemp(request.param)
    case.config().save_pretrained(directory)
    named = [replace(spec, name=name) for name, spec in case.inputs.items()]
    module = resolve_model(f"hf:{directory}", inputs=named).module
    return case, analyze(module, inputs=case.inputs, strict=True), module


def _flop_counter_macs(model: Any, inputs: dict[str, torch.Tensor]) -> int:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.eval()(**inputs)
    return int(counter.get_total_flops()) // 2   # 2 FLOPs per MAC


def test_macs_and_params_equal_the_hand_formulas(case: tuple[Case, Any, Any]) -> None:
    hand, analysis, _ = case
    assert analysis.totals["macs"] == hand.macs
    assert analysis.totals["params"] == hand.params


def test_flop_counter_mode_on_meta_counts_the_same(case: tuple[Case, Any, Any]) -> None:
    hand, _, module = case
    inputs = {name: spec.tensor("meta", VOCAB) for name, spec in hand.inputs.items()}
    assert _flop_counter_macs(module, inputs) == hand.macs


def test_flop_counter_mode_on_the_cpu_misses_the_attention(case: tuple[Case, Any, Any]
                                                          ) -> None:
    hand, _, module = case
    real = type(module)(module.config)   # random weights, on the CPU
    assert real.config._attn_implementation == "sdpa"
    inputs = {name: spec.tensor("cpu", VOCAB) for name, spec in hand.inputs.items()}
    assert _flop_counter_macs(real, inputs) == hand.macs - hand.attention_scores


def test_an_id_not_in_the_cache_fails_at_once_without_asking_the_hub(tmp_path, monkeypatch):
    # "Nothing is downloaded": the hub is not asked for the file (which took 26 s of retries
    # without a network), so an id missing from the cache is one error line at once.
    file_download = pytest.importorskip("huggingface_hub.file_download")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    asked: list[object] = []

    def metadata(url: object, *args: object, **kwargs: object) -> object:
        asked.append(url)
        raise OSError("no network in this test")
    monkeypatch.setattr(file_download, "get_hf_file_metadata", metadata)
    with pytest.raises(ModelLoadError, match=r"hf: no config for 'acme/not-cached'"):
        resolve_model("hf:acme/not-cached")
    assert asked == []
