"""The papers' tables that `costlab reproduce` rebuilds; importing this package registers them."""

from costlab.tables import mobilenet, seed001  # noqa: F401 - registration side effect

__all__: list[str] = []
