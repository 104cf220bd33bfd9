"""Training cost (MACs of a step, the optimizer, 6·N·T) and training memory (saved activations
recorded by autograd, and a measured cross-check)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from costlab.analyses.measured_peak import measure_peak
from costlab.analyses.training import (
    TrainingAnalysis,
    analyze_training,
    saved_activation_elements,
    training_memory,
)
from costlab.errors import OptionError
from costlab.trace.inputs import InputSpec


def test_saved_tensors_of_a_small_mlp():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    # addmm saves its input (2 x 8) for the weight gradient; relu saves its output (2 x 16),
    # which the second addmm saves too (the same tensor); weights are parameters, not counted.
    assert saved_activation_elements(model, [(2, 8)]) == (2 * 8 + 2 * 16, 2, 2 * 16)


def test_optimizer_state_and_totals():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    params = 8 * 16 + 16 + 16 * 4 + 4                                  # 212
    adam = training_memory(model, [(2, 8)], optimizer="adam")
    assert (adam.params_bytes, adam.gradients_bytes, adam.optimizer_bytes) == (
        params * 4, params * 4, 2 * params * 4)
    assert training_memory(model, [(2, 8)], optimizer="sgd").optimizer_bytes == 0
    # + saved 48 elements + the largest activation's gradient in flight (2 x 16)
    assert adam.total_bytes == 4 * params * 4 + 48 * 4 + 32 * 4


def test_training_memory_agrees_with_measurement():
    model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                          nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    shapes = [(8, 3, 64, 64)]
    predicted = training_memory(model, shapes, optimizer="sgd")
    measured = measure_peak(model, shapes, training=True)
    assert measured.bytes is not None
    # A training step holds the saved activations, the parameter gradients and the gradient
    # flowing back; measured against predicted within 25% (allocator workspaces differ).
    ratio = measured.bytes / predicted.step_peak_bytes
    assert 0.75 <= ratio <= 1.25, ratio


# --- training cost ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gpt2() -> TrainingAnalysis:
    """GPT-2 small from its default config, on meta (nothing downloaded), 1 x 128 tokens."""
    transformers = pytest.importorskip("transformers")
    with torch.device("meta"):
        model = transformers.GPT2LMHeadModel(transformers.GPT2Config())
    return analyze_training(model, [InputSpec((1, 128), torch.int64)])


def test_gpt2_training_macs_by_hand(gpt2):
    layers, d, vocab, positions, tokens = 12, 768, 50257, 1024, 128
    # per block: c_attn d x 3d, attn.c_proj d x d, mlp.c_fc d x 4d, mlp.c_proj 4d x d
    linear = layers * (d * 3 * d + d * d + 2 * d * 4 * d)          # 84,934,656 weights
    lm_head = vocab * d                                            # tied to wte
    attention = 2 * layers * tokens * tokens * d                   # Q K^T and P V, all heads
    forward = tokens * (linear + lm_head) + attention              # 16,114,089,984
    assert gpt2.cost.forward_macs == forward
    # backward: input and weight gradient of every matrix, 4 attention products per 2
    assert gpt2.cost.backward_macs == 2 * tokens * (linear + lm_head) + 2 * attention
    assert gpt2.totals["training_macs"] == 48_342_269_952
    assert gpt2.params == 124_439_808 and gpt2.cost.unsupported == {}
    rule = gpt2.rule_of_thumb
    assert rule is not None and (rule.params, rule.tokens) == (124_439_808, tokens)
    assert rule.rule_flops == 6 * 124_439_808 * 128 == 2 * rule.rule_macs
    assert rule.attention_macs == 3 * attention                    # fwd + 2 x in backward
    assert rule.lm_head_macs == 3 * tokens * lm_head
    assert rule.embedding_params == (vocab + positions) * d
    # biases and the 25 layer norms' scales and shifts
    assert rule.vector_params == layers * (3 * d + d + 4 * d + d) + 25 * 2 * d
    terms = {key: value for key, _, value in rule.terms}
    assert sum(terms.values()) == rule.gap_macs == 48_342_269_952 - 3 * 124_439_808 * 128
    assert terms == {"attention_macs": 3 * attention, "lm_head_macs": 3 * tokens * lm_head,
                     "embedding_macs": -3 * tokens * (vocab + positions) * d,
                     "vector_macs": -3 * tokens * rule.vector_params, "other_macs": 0}


def test_no_rule_of_thumb_for_an_image_model():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8 * 6 * 6, 4))
    assert analyze_training(model, [(1, 3, 8, 8)]).rule_of_thumb is None


def test_freezing_drops_weight_gradients_and_the_input_gradients_nothing_needs():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    full = analyze_training(model, [(2, 8)], optimizer="sgd")
    first, second = 2 * 8 * 16, 2 * 16 * 4                        # forward MACs per layer
    assert full.totals["backward_macs"] == first + 2 * second     # no input grad for layer 0
    tuned = analyze_training(model, [(2, 8)], freeze=["0.*"], optimizer="sgd")
    assert tuned.frozen == ("0.weight", "0.bias")
    assert tuned.totals["backward_macs"] == second                 # only 2.weight's gradient
    assert tuned.trainable_params == 16 * 4 + 4
    assert tuned.optimizer.elementwise == 2 * (16 * 4 + 4)         # sgd: p -= lr g


def test_optimizer_step_per_trainable_parameter():
    model = nn.Linear(10, 10)                                       # 110 parameters
    ops = {name: analyze_training(model, [(1, 10)], optimizer=name).optimizer.elementwise
           for name in ("sgd", "momentum", "adam")}
    assert ops == {"sgd": 2 * 110, "momentum": 4 * 110, "adam": 13 * 110}


def test_freeze_pattern_that_matches_nothing_names_it():
    with pytest.raises(OptionError, match=r"--freeze 'encoder\.\*' matches no parameter; "
                                          r"names look like '0.weight'"):
        analyze_training(nn.Sequential(nn.Linear(2, 2)), [(1, 2)], freeze=["encoder.*"])
