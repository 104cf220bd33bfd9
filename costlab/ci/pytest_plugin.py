"""The pytest plugin (registered as the `costlab` entry point): a `costlab_budget` fixture
and a `@pytest.mark.costlab(MODEL, max_macs=...)` marker, both failing like an assert with
the numbers, and with costlab's own frames hidden. Importing it loads no torch."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest

__all__ = ["costlab_budget", "pytest_configure", "pytest_runtest_call"]


def _check(model: Any, **options: Any) -> Any:
    __tracebackhide__ = True
    from costlab.ci.testing import assert_within_budget
    return assert_within_budget(model, **options)


@pytest.fixture
def costlab_budget() -> Callable[..., Any]:
    """`costlab_budget("mobilenetv2:alpha=0.5", max_macs="100M")`: assert_within_budget, with
    costlab's frames left out of the failure."""
    return _check


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "costlab(model, **limits): fail the test when MODEL costs more than the "
                   "limits (max_macs=..., max_params=..., baseline=FILE, tolerance=PCT)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Runs the test, then every `costlab` marker's budget check on it."""
    outcome = yield
    for marker in item.iter_markers(name="costlab"):
        if len(marker.args) != 1:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.costlab takes one MODEL "
                                    f"argument, got {len(marker.args)}")
        _check(marker.args[0], **marker.kwargs)
    return outcome
