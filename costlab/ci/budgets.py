"""Read `[tool.costlab]` from pyproject.toml: the lock file, tolerance, conventions and the
absolute cost budgets of each model."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costlab import units
from costlab.analyses.metrics import budget_keys
from costlab.choices import DType, ParamConvention, parse_choice
from costlab.errors import ConfigError, CostlabError, first_line

__all__ = ["DEFAULT_LOCKFILE", "Budget", "ProjectConfig", "find_pyproject", "load_config",
           "parse_limits", "budget_amount"]

DEFAULT_LOCKFILE = "costlab.lock.json"
_KEYS = ("lockfile", "tolerance", "params", "dtype", "budgets", "allow-imports")

@dataclass(frozen=True, slots=True)
class Budget:
    """Absolute limits for one model (`MODEL` or `MODEL:key=value,...`): metric key -> max."""

    model: str
    limits: Mapping[str, int]


@dataclass(frozen=True)
class ProjectConfig:
    """`[tool.costlab]`, with defaults for what it leaves out; `path` is None without one."""

    path: Path | None = None
    lockfile: Path = Path(DEFAULT_LOCKFILE)
    tolerance_pct: float = 0.0
    params: ParamConvention = ParamConvention.TORCH
    dtype: DType = DType.FP32
    budgets: tuple[Budget, ...] = field(default_factory=tuple)
    allow_imports: tuple[str, ...] = ()   # import paths (fnmatch) a lock or budget may run

    @property
    def root(self) -> Path:
        """The project: the directory of pyproject.toml, else the working directory."""
        return self.path.parent if self.path is not None else Path.cwd()


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml in `start` (default: the working directory) or above it."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "pyproject.toml").is_file():
            return directory / "pyproject.toml"
    return None


def budget_amount(value: Any, where: str) -> int:
    """310000000, 310_000_000, "310M", "3.5M", "12 MB" or "8MiB" -> an exact integer, read by
    costlab.units (the grammar spec figures use too); a ConfigError naming `where` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{where}: expected a number such as 310_000_000 or \"310M\", "
                          f"got {value!r}")
    try:
        amount = units.parse_amount(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if amount < 0:
        raise ConfigError(f"{where}: a budget cannot be negative, got {amount}")
    return amount


def parse_limits(limits: Mapping[str, Any], where: str) -> dict[str, int]:
    """`{"max_macs": "310M"}` -> `{"macs": 310000000}`; an unknown key is a ConfigError."""
    parsed = {}
    for key, value in limits.items():
        if key not in budget_keys():
            raise ConfigError(f"{where}: unknown key {key!r}; a budget's keys are "
                              f"{', '.join(budget_keys())}")
        parsed[key.removeprefix("max_")] = budget_amount(value, f"{where} {key}")
    return parsed


def load_config(pyproject: Path | None = None) -> ProjectConfig:
    """`[tool.costlab]` of `pyproject` (default: the nearest one); defaults when absent."""
    path = pyproject or find_pyproject()
    if path is None:
        return ProjectConfig()
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {first_line(exc)}") from None
    table = data.get("tool", {}).get("costlab")
    if table is None:
        return ProjectConfig(path, path.parent / DEFAULT_LOCKFILE)
    where = f"{path}: [tool.costlab]"
    _expect_table(table, where)
    for key in table:
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}; the keys are {', '.join(_KEYS)}")
    budgets, lockfile = table.get("budgets", {}), table.get("lockfile", DEFAULT_LOCKFILE)
    _expect_table(budgets, f"{path}: [tool.costlab.budgets]")
    if not isinstance(lockfile, str) or not lockfile:
        raise ConfigError(f"{where}: lockfile must be a file name, got {lockfile!r}")
    allow = table.get("allow-imports", [])
    if not isinstance(allow, list) or not all(isinstance(p, str) and p for p in allow):
        raise ConfigError(f"{where}: allow-imports must be a list of patterns such as "
                          f"\"mypkg.models:*\", got {allow!r}")
    try:
        raw = table.get("tolerance", 0.0)
        if isinstance(raw, bool):
            raise ValueError
        tolerance = float(raw)
        if not math.isfinite(tolerance) or tolerance < 0:
            raise ValueError
        params = parse_choice(ParamConvention, table.get("params", ParamConvention.TORCH))
        dtype = parse_choice(DType, table.get("dtype", DType.FP32))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: tolerance must be a percentage of at least 0, got "
                          f"{table.get('tolerance')!r}") from None
    except CostlabError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    parsed = []
    for model, limits in budgets.items():
        inner = f"{path}: [tool.costlab.budgets.{_toml_key(model)}]"
        _expect_table(limits, inner)
        parsed.append(Budget(model, parse_limits(limits, inner)))
    return ProjectConfig(path, path.parent / lockfile, tolerance, params, dtype, tuple(parsed),
                         tuple(allow))


def _expect_table(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table, got {value!r}")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'
