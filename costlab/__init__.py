"""costlab: exact, layer-by-layer cost of neural-network architectures."""

from costlab.api import Analysis, analyze
from costlab.errors import CostlabError

__all__ = ["Analysis", "CostlabError", "analyze", "__version__"]
__version__ = "0.1.0"
