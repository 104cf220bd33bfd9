"""Per-op cost rules, one module per op family; importing this package fills `RULES`."""

from costlab.count.rules import (  # noqa: F401 - registration
    backward,
    conv,
    elementwise,
    free,
    matmul,
    norm,
    pool,
)
from costlab.count.rules.registry import (
    RULES,
    CostRule,
    Geometry,
    OpClass,
    OpCost,
    cost_rule,
    zero_cost,
)
from costlab.count.rules.registry import elementwise as elementwise_rule
from costlab.count.rules.vision import register_torchvision_rules

__all__ = ["RULES", "CostRule", "Geometry", "OpClass", "OpCost", "cost_rule", "elementwise_rule",
           "zero_cost", "register_torchvision_rules"]
