"""costlab: exact, layer-by-layer cost of neural-network architectures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from costlab.errors import CostlabError

if TYPE_CHECKING:
    from costlab.api import Analysis, analyze

__all__ = ["Analysis", "CostlabError", "analyze", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """`costlab.analyze` imports torch on first use, so `costlab --help` and `costlab list`
    start without it."""
    if name in ("analyze", "Analysis"):
        from costlab import api
        return getattr(api, name)
    raise AttributeError(f"module 'costlab' has no attribute {name!r}")
