"""Which import paths a lock file or a budget may run: a reviewer sees a JSON or TOML diff,
not code, so a data file names code only inside the project, a zoo model, or what the user
allowed (`--allow-import PATTERN`, `[tool.costlab] allow-imports`)."""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Sequence
from pathlib import Path

from costlab.errors import CostlabError

__all__ = ["ZOO_PREFIXES", "import_module_name", "untrusted_reason", "require_trusted"]

ZOO_PREFIXES = ("torchvision:", "timm:", "hf:")   # built by models/zoo.py from installed packages


def import_module_name(model: str) -> str | None:
    """The module a MODEL argument imports (`pkg.mod` of `pkg.mod:make`), None for a spec name,
    a spec file or a zoo model."""
    if model.startswith(ZOO_PREFIXES) or ":" not in model or model.endswith((".yaml", ".yml")):
        return None
    return model.partition(":")[0].strip()


def _project_file(module: str, cwd: Path, root: Path) -> Path | None:
    """The file `module` is (or would be) imported from, when it lies under `root`: the
    loaded module's file, or the file under the working directory, which leads sys.path when
    models/resolve.py imports. No code is run to find it."""
    parts = module.split(".")
    if not all(p.isidentifier() for p in parts):
        return None
    loaded = sys.modules.get(module) or sys.modules.get(parts[0])
    if loaded is not None:
        origin = getattr(loaded, "__file__", None)
        if origin is None:
            return None
        base = Path(origin).parent.joinpath(*parts[1:]) if parts[0] in sys.modules and \
            module not in sys.modules else None
        candidates = [Path(origin)] if base is None else \
            [base.with_suffix(".py"), base / "__init__.py"]
    elif parts[0] in sys.stdlib_module_names or parts[0] in sys.builtin_module_names:
        return None
    else:
        base = cwd.joinpath(*parts)
        candidates = [base.with_suffix(".py"), base / "__init__.py"]
    for candidate in candidates:
        if candidate.is_file():
            resolved = candidate.resolve()
            return resolved if resolved.is_relative_to(root.resolve()) else None
    return None


def untrusted_reason(model: str, *, root: Path, allow: Sequence[str] = (),
                     cwd: Path | None = None) -> str | None:
    """Why `model`, read from a data file, may not run; None when it may."""
    module = import_module_name(model)
    if module is None or any(fnmatch.fnmatchcase(model, p) or fnmatch.fnmatchcase(module, p)
                             for p in allow):
        return None
    if _project_file(module, cwd or Path.cwd(), root) is not None:
        return None
    return (f"imports {module!r}, which is not a module file inside the project ({root}); "
            f"allow it with --allow-import '{module}:*' or [tool.costlab] allow-imports")


def require_trusted(model: str, where: str, error: type[CostlabError], *, root: Path,
                    allow: Sequence[str] = ()) -> None:
    """Raises `error` naming `where` (the file and entry) when `model` may not run."""
    reason = untrusted_reason(model, root=root, allow=allow)
    if reason is not None:
        raise error(f"{where}: {model!r} {reason}; nothing was run")
