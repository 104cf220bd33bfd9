"""The exception hierarchy: every user mistake is a CostlabError, shown as one line by the CLI."""

from __future__ import annotations

__all__ = [
    "CostlabError",
    "SpecError",
    "UnknownBlockError",
    "ModelLoadError",
    "TraceError",
    "RuleError",
    "UnsupportedOpsError",
    "OptionError",
    "LockfileError",
    "ConfigError",
    "first_line",
    "describe",
]


class CostlabError(Exception):
    """Root of every error costlab raises for bad input; the CLI turns it into exit code 2."""


class SpecError(CostlabError):
    """A spec file is malformed; carries the file, the line and the YAML path of the bad field."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        where = file or "<spec>"
        if line is not None:
            where += f":{line}"
        if field:
            where += f": {field}"
        super().__init__(f"{where}: {message}")


class UnknownBlockError(SpecError):
    """A spec names a block type that is not registered."""


class ModelLoadError(CostlabError):
    """A MODEL argument names no spec, file or importable callable."""


class TraceError(CostlabError):
    """The model failed while running under the tracer; names the module that was running."""


class RuleError(CostlabError):
    """A cost rule is malformed (bad key, duplicate registration) or failed on an op."""


class UnsupportedOpsError(CostlabError):
    """Raised under strict mode when ops without a cost rule were traced."""


class OptionError(CostlabError):
    """A bad option value (a width, a resolution, a convention name)."""


class LockfileError(CostlabError):
    """A cost lock file is missing, not JSON, or not in the shape `costlab snapshot` writes."""


class ConfigError(CostlabError):
    """The `[tool.costlab]` table of pyproject.toml has a bad key or value (e.g. a budget)."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type when it has none): user code and
    torch raise multi-line messages, and the CLI prints every error as one line."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def describe(exc: BaseException) -> str:
    """`TypeError: first line of the message`."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
