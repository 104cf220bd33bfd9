"""One Evaluator for the papers' tests: each (spec, configuration) is analyzed once for the
tables and the figures together."""

from __future__ import annotations

import pytest

from costlab.papers.tables import Evaluator


@pytest.fixture(scope="session")
def evaluator() -> Evaluator:
    return Evaluator()

