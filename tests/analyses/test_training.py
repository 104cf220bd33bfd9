"""Training memory: saved activations recorded by autograd, and a measured cross-check."""

from __future__ import annotations

from torch import nn

from costlab.analyses.measure import measure_peak
from costlab.analyses.training import saved_activation_elements, training_memory
from costlab.count.engine import count_costs
from costlab.trace.recorder import trace_module


def test_saved_tensors_of_a_small_mlp():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    # addmm saves its input (2 x 8) for the weight gradient; relu saves its output (2 x 16),
    # which the second addmm saves too (the same tensor); weights are parameters, not counted.
    assert saved_activation_elements(model, [(2, 8)]) == (2 * 8 + 2 * 16, 2, 2 * 16)


def test_optimizer_state_and_totals():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    cost = count_costs(trace_module(model, [(2, 8)]))
    params = 8 * 16 + 16 + 16 * 4 + 4                                  # 212
    adam = training_memory(model, [(2, 8)], cost, optimizer="adam")
    assert (adam.params_bytes, adam.gradients_bytes, adam.optimizer_bytes) == (
        params * 4, params * 4, 2 * params * 4)
    assert training_memory(model, [(2, 8)], cost, optimizer="sgd").optimizer_bytes == 0
    # + saved 48 elements + the largest activation's gradient in flight (2 x 16)
    assert adam.total_bytes == 4 * params * 4 + 48 * 4 + 32 * 4


def test_training_memory_agrees_with_measurement():
    model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                          nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    shapes = [(8, 3, 64, 64)]
    cost = count_costs(trace_module(model, shapes))
    predicted = training_memory(model, shapes, cost, optimizer="sgd")
    measured = measure_peak(model, shapes, training=True)
    assert measured.bytes is not None
    # A training step holds the saved activations, the parameter gradients and the gradient
    # flowing back; measured against predicted within 25% (allocator workspaces differ).
    ratio = measured.bytes / predicted.step_peak_bytes
    assert 0.75 <= ratio <= 1.25, ratio
