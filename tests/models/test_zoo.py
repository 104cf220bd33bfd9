"""Zoo shorthands (torchvision:, timm:, hf:), built without weights, as a new user runs them."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from costlab.api import analyze
from costlab.errors import ModelLoadError, OptionError
from costlab.models.resolve import resolve_model
from costlab.models.zoo import build_zoo
from costlab.trace.inputs import InputSpec

pytest.importorskip("torchvision")


def test_report_torchvision_resnet50(run_cli):
    result = run_cli("report", "torchvision:resnet50", "--depth", "0")
    assert result.exit_code == 0, result.stderr
    # torchvision's ResNet50_Weights publish _ops 4.089 (GMACs) and num_params 25,557,032
    assert "4,089,184,256" in result.stdout and "25,557,032" in result.stdout


def test_unknown_zoo_name_gives_close_matches(run_cli):
    result = run_cli("report", "torchvision:resnet5")
    assert result.exit_code == 2
    assert "torchvision has no model 'resnet5'; close matches: resnet50" in result.stderr


def test_a_spec_name_that_is_a_torchvision_model_suggests_the_zoo(run_cli):
    result = run_cli("report", "resnet50")
    assert result.exit_code == 2 and "torchvision:resnet50?" in result.stderr


def test_a_missing_package_says_what_to_install(monkeypatch):
    real = importlib.import_module

    def without_timm(name: str, *args: object) -> object:
        if name == "timm":
            raise ImportError("No module named 'timm'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_timm)
    with pytest.raises(ModelLoadError, match=r"need the 'timm' package; install it with "
                                             r"`pip install timm`"):
        build_zoo("timm:resnet50", {}, 1)


def test_list_a_zoo(run_cli):
    names = run_cli("list", "torchvision").stdout.splitlines()
    assert "torchvision:resnet50" in names and "torchvision:regnet_y_400mf" in names
    vits = run_cli("list", "timm:vit_small_patch16_2*").stdout.splitlines()
    assert "timm:vit_small_patch16_224" in vits


def test_none_settings_reach_the_callable(run_cli):
    result = run_cli("report", "torch.nn:Conv2d", "--set", "in_channels=3", "--set",
                     "out_channels=8", "--set", "kernel_size=3", "--set", "bias=None",
                     "--input", "1x3x8x8", "--format", "json")
    assert result.exit_code == 0, result.stderr
    import json
    assert json.loads(result.stdout)["totals"]["params"] == 8 * 3 * 3 * 3   # 216, no bias


def test_given_inputs_fix_batch_and_size():
    with pytest.raises(OptionError, match="--batch describes the default image input"):
        resolve_model("torchvision:resnet18", batch=8, inputs=[(1, 3, 224, 224)])


def test_data_parallel_is_unwrapped():
    analysis = analyze(nn.DataParallel(nn.Linear(4, 2)), inputs=[(3, 4)])
    assert analysis.totals["macs"] == 3 * 4 * 2
    assert all(not row.path.startswith("module") for row in analysis.full_cost.layers)


def test_inference_mode_around_analyze_changes_nothing():
    plain = analyze("torchvision:mobilenet_v3_small").totals
    with torch.inference_mode():
        inside = analyze("torchvision:mobilenet_v3_small").totals
    assert inside == plain and plain["macs"] > 0


def test_regnet_builds_though_its_constructor_computes():
    target = resolve_model("torchvision:regnet_y_400mf")
    assert all(p.is_meta for p in target.module.parameters())
    assert all(b.is_meta for b in target.module.buffers())


def test_detection_model_falls_back_to_the_cpu_and_reproduces_torchvision():
    analysis = analyze("torchvision:ssdlite320_mobilenet_v3_large", inputs=[(1, 3, 320, 320)],
                       strict=True)
    assert analysis.trace_device == "cpu" and "meta trace needs values" in \
        analysis.trace_device_reason
    # SSDLite320_MobileNet_V3_Large_Weights publishes _ops 0.583 (GMACs), 3,440,060 params
    assert round(analysis.totals["macs"] / 1e9, 3) == 0.583
    assert analysis.totals["params"] == 3_440_060


@pytest.fixture(scope="module")
def timm_vit():
    pytest.importorskip("timm")
    return resolve_model("timm:vit_small_patch16_224")


def test_timm_vit_small_matches_the_hand_formula(timm_vit):
    analysis = analyze(timm_vit.module, inputs=timm_vit.inputs, strict=True)
    tokens, dim, mlp, layers = 197, 384, 1536, 12   # 14 x 14 patches + the class token
    patch = 196 * dim * 3 * 16 * 16
    layer = (tokens * dim * 3 * dim        # QKV
             + 2 * tokens * tokens * dim   # scores and the weighted sum, all heads
             + tokens * dim * dim          # projection
             + 2 * tokens * dim * mlp)     # MLP
    assert analysis.totals["macs"] == patch + layers * layer + dim * 1000
    assert analysis.totals["params"] == sum(p.numel() for p in timm_vit.module.parameters())


def test_timm_against_flop_counter_mode_on_meta(timm_vit):
    """FlopCounterMode counts 2 FLOPs per MAC of conv, linear and attention, so on meta (where
    attention runs as SDPA's math: bmm and softmax) it equals 2 x costlab's MACs."""
    module = timm_vit.module.eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(torch.empty(1, 3, 224, 224, device="meta"))
    assert counter.get_total_flops() == 2 * analyze(module, inputs=timm_vit.inputs).totals["macs"]


def _hf_dir(tmp_path: Path, config: object) -> str:
    config.save_pretrained(tmp_path)   # type: ignore[attr-defined]
    return f"hf:{tmp_path}"


def test_hf_gpt2_with_attention_mask_matches_the_hand_formula(run_cli, tmp_path):
    transformers = pytest.importorskip("transformers")
    # GPT-2's layout at a small size: the mask makes the meta trace read a value (.item())
    layers, dim, vocab, tokens = 2, 64, 1000, 16
    model = _hf_dir(tmp_path, transformers.GPT2Config(
        n_layer=layers, n_embd=dim, n_head=4, vocab_size=vocab, n_positions=64,
        architectures=["GPT2LMHeadModel"]))
    result = run_cli("report", model, "--input", f"input_ids=1x{tokens}:int64",
                     "--input", f"attention_mask=1x{tokens}:int64", "--depth", "0", "--strict")
    assert result.exit_code == 0, result.stderr
    layer = (tokens * dim * 3 * dim            # QKV
             + 2 * tokens * tokens * dim       # scores + weighted sum
             + tokens * dim * dim              # projection
             + 2 * tokens * dim * 4 * dim)     # MLP
    macs = layers * layer + tokens * dim * vocab   # + the LM head
    # embeddings (tied with the head: once), positions, per layer 2 norms, attention, MLP
    params = (vocab * dim + 64 * dim + 2 * dim
              + layers * (4 * dim + (3 * dim * dim + 3 * dim) + (dim * dim + dim)
                          + (4 * dim * dim + 4 * dim) + (4 * dim * dim + dim)))
    assert f"{macs:,}" in result.stdout and f"{params:,}" in result.stdout
    assert "traced on real cpu tensors" in result.stdout


def test_hf_token_model_without_inputs_gets_a_hint(run_cli, tmp_path):
    transformers = pytest.importorskip("transformers")
    model = _hf_dir(tmp_path, transformers.BertConfig(num_hidden_layers=1, hidden_size=32,
                                                      num_attention_heads=2,
                                                      intermediate_size=64))
    result = run_cli("report", model)
    assert result.exit_code == 2
    assert "does not take an image; give its inputs, e.g. --input input_ids=1x128:int64" in \
        result.stderr


def test_hf_whisper_trainable_parameters(tmp_path):
    transformers = pytest.importorskip("transformers")
    model = _hf_dir(tmp_path, transformers.WhisperConfig(
        architectures=["WhisperForConditionalGeneration"]))   # whisper-tiny's sizes
    inputs = {"input_features": InputSpec((1, 80, 3000)),
              "decoder_input_ids": InputSpec((1, 4), torch.int64)}
    total = analyze(model, inputs=inputs).totals["params"]
    trainable = analyze(model, inputs=inputs, params="trainable").totals["params"]
    assert total == 37_760_640
    # the encoder's 1,500 x 384 sinusoidal positions are frozen (requires_grad=False)
    assert trainable == total - 1500 * 384 == 37_184_640


def _costlab_process(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """costlab in a fresh process, as a user runs it: huggingface_hub reads HF_HOME once, at
    import (and HF_HUB_CACHE, which would override it, is left out)."""
    environ = {k: v for k, v in os.environ.items() if k != "HF_HUB_CACHE"} | env
    return subprocess.run([sys.executable, "-m", "costlab", *args], capture_output=True,
                          text=True, check=False, timeout=120, env=environ)


def test_list_hf_names_the_cached_models_that_have_a_config(tmp_path):
    pytest.importorskip("transformers")
    hub = tmp_path / "hub"
    for repo, files in (("models--org--tiny-gpt2", ["config.json", "model.safetensors"]),
                        ("models--org--tokenizer-only", ["tokenizer.json"]),
                        ("datasets--org--data", ["config.json"])):
        (hub / repo / "refs").mkdir(parents=True)
        (hub / repo / "refs" / "main").write_text("abc123")
        snapshot = hub / repo / "snapshots" / "abc123"
        snapshot.mkdir(parents=True)
        for index, name in enumerate(files):   # the cache's layout: snapshots link to blobs
            blob = hub / repo / "blobs" / f"blob{index}"
            blob.parent.mkdir(exist_ok=True)
            blob.write_text("{}")
            (snapshot / name).symlink_to(blob)
    result = _costlab_process("list", "hf", env={"HF_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["hf:org/tiny-gpt2"]   # no tokenizer-only, no dataset


def test_list_hf_with_an_empty_cache_says_what_hf_takes(run_cli, monkeypatch, tmp_path):
    constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))   # as HF_HOME sets
    result = run_cli("list", "hf")
    assert result.exit_code == 0 and result.stdout == ""
    assert (f"no model with a config.json in the Hugging Face cache {tmp_path / 'hub'}; give "
            "hf:ID (a model in that cache) or hf:DIR (a directory holding a config.json") in \
        result.stderr
