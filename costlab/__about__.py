"""costlab's version, at the bottom of the layers: lock files, reports and the spec cache stamp
it, and nothing inside the package may import the facade (`costlab/__init__.py`), which sits on
top. (`__about__.py` is the packaging convention for this file.)"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"   # pyproject.toml reads it (dynamic version)
