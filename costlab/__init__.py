"""costlab: exact, layer-by-layer cost of neural-network architectures.

This facade is the top layer: it re-exports the public names, and nothing inside the package
imports from it (the version lives in `costlab.__about__`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from costlab.__about__ import __version__
from costlab.errors import CostlabError

if TYPE_CHECKING:
    from costlab.api import Analysis, analyze

__all__ = ["Analysis", "CostlabError", "analyze", "__version__"]


def __getattr__(name: str) -> Any:
    """`costlab.analyze` imports torch on first use, so `costlab --help` and `costlab list`
    start without it."""
    if name in ("analyze", "Analysis"):
        from costlab import api
        return getattr(api, name)
    raise AttributeError(f"module 'costlab' has no attribute {name!r}")
