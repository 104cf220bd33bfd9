"""A name -> function registry decorator that rejects duplicate names at import time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["registrar"]

F = TypeVar("F", bound=Callable[..., object])


def registrar(table: dict[str, F], kind: str) -> Callable[[str], Callable[[F], F]]:
    """Returns a decorator factory: `@register("name")` puts the function in `table`."""
    def register(name: str) -> Callable[[F], F]:
        def decorate(fn: F) -> F:
            if name in table:
                raise ValueError(f"{kind} {name!r} is registered twice")
            table[name] = fn
            return fn
        return decorate
    return register
