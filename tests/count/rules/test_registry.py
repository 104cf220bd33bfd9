"""Rule registration rejects bad keys and duplicates at once, naming the op."""

from __future__ import annotations

import pytest
from torch.ops import aten

from costlab.count.rules import RULES, cost_rule, zero_cost
from costlab.errors import RuleError


def test_duplicate_rule_is_rejected():
    with pytest.raises(RuleError, match=r"aten\.convolution\.default already has a cost rule"):
        cost_rule(aten.convolution.default)(zero_cost())


def test_non_op_key_is_rejected():
    with pytest.raises(RuleError, match="keyed by ATen ops"):
        cost_rule("aten::convolution")(zero_cost())   # type: ignore[arg-type]


def test_packet_expands_to_overloads():
    # aten.relu and aten.relu_ were registered as packets in one call: every overload, one rule.
    assert RULES[aten.relu.default] is RULES[aten.relu_.default]
    assert all(getattr(aten.sum, o) in RULES for o in ("dim_IntList", "default"))
