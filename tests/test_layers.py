"""The package's imports flow one way: no cycles, no import from a higher layer, no private
name of another module, taken by an import or read as an attribute of the module. Every import
counts, inside functions and TYPE_CHECKING blocks too, relative ones resolved; the package
facade (`costlab/__init__.py`) is checked like any module. The checker is proven able to fail
on small synthetic packages, one per rule."""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "costlab"
FACADE = "costlab"   # costlab/__init__.py: the public names; `costlab.analyze` imports the API
                     # on first use, so that `costlab --help` starts without torch

# Bottom to top; a module may import from its own layer or the layers below it. A member names
# a module and everything under it, except the package itself, which names only its facade.
# render is low: it knows sections and writers, not analyses, which build sections and call it.
LAYERS = [
    {"costlab.__about__", "costlab.errors", "costlab.units", "costlab.choices",
     "costlab.registry"},
    {"costlab.render"},
    {"costlab.spec"},
    {"costlab.trace"},
    {"costlab.blocks"},
    {"costlab.models"},
    {"costlab.count"},
    {"costlab.analyses"},
    {"costlab.ci", "costlab.papers"},
    {"costlab.api"},
    {"costlab.cli", "costlab.__main__"},
    {FACADE},   # on top: nothing inside the package imports from the facade
]


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement's dependency: the module it names and the names it takes."""

    module: str
    names: tuple[str, ...]
    line: int


def package_modules(root: Path) -> dict[str, Path]:
    """Every module of the package at `root`, by dotted name (a package by its `__init__`)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _absolute(name: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` names, resolving `.` and `..` from `name`."""
    if node.level == 0:
        return node.module or ""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    if node.level - 1 >= len(package):
        raise AssertionError(f"{path}:{node.lineno}: relative import beyond the top package")
    base = package[:len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(name: str, path: Path) -> list[Import]:
    """Every import of a module of the same package in the file, wherever it stands."""
    top = name.split(".")[0]
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append(Import(_absolute(name, path, node),
                                tuple(a.name for a in node.names), node.lineno))
    return [item for item in found if item.module.split(".")[0] == top]


def _targets(item: Import, modules: dict[str, Path]) -> set[str]:
    """The modules an import depends on: `from pkg import submodule` names the submodule, any
    other name taken from `pkg` names `pkg` itself."""
    submodules = {f"{item.module}.{n}" for n in item.names if f"{item.module}.{n}" in modules}
    others = len(submodules) < len(item.names)
    return submodules | ({item.module} if others or not item.names else set())


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (itself excluded)."""
    return {name: {t for item in imports(name, path) for t in _targets(item, modules)} - {name}
            for name, path in modules.items()}


def layer_of(module: str, layers: Sequence[set[str]]) -> int:
    top = module.split(".")[0]
    for rank, members in enumerate(layers):
        if any(module == m or (m != top and module.startswith(m + ".")) for m in members):
            return rank
    raise AssertionError(f"{module} is in no layer; add its package to LAYERS")


def upward_imports(modules: dict[str, Path], layers: Sequence[set[str]]) -> list[str]:
    return [f"{name} (layer {layer_of(name, layers)}) imports {target} "
            f"(layer {layer_of(target, layers)})"
            for name, targets in import_graph(modules).items() for target in sorted(targets)
            if layer_of(target, layers) > layer_of(name, layers)]


def import_cycles(graph: dict[str, set[str]]) -> list[str]:
    cycles = []
    state: dict[str, int] = {}   # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target):], target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def _is_private(attr: str) -> bool:
    return attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__"))


def _module_aliases(name: str, path: Path, modules: dict[str, Path]) -> dict[str, str]:
    """Local name -> the package's module it is bound to by an import in the file."""
    aliases = {}
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:   # `import a.b.c` binds `a`
                    aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(name, path, node)
            aliases.update({a.asname or a.name: f"{module}.{a.name}" for a in node.names
                            if f"{module}.{a.name}" in modules})
    return {local: module for local, module in aliases.items() if module in modules}


def _dotted(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else [*head, node.attr]
    return None


def private_names(modules: dict[str, Path]) -> list[str]:
    """Private names of another module of the package, taken by `from m import _x` or read
    as `m._x` through a module imported under any name; dunder names are public."""
    found = []
    for name, path in modules.items():
        for item in imports(name, path):
            taken = [n for n in item.names if _is_private(n)]
            if taken and item.module != name:
                found.append(f"{name}:{item.line} takes {', '.join(taken)} from {item.module}")
        aliases = _module_aliases(name, path, modules)
        for node in ast.walk(_tree(path)):
            if not (isinstance(node, ast.Attribute) and _is_private(node.attr)):
                continue
            chain = _dotted(node.value)
            if chain is None or chain[0] not in aliases:
                continue   # not a module of the package: self, torch, a local object
            module = ".".join([aliases[chain[0]], *chain[1:]])
            if module in modules and module != name:
                found.append(f"{name}:{node.lineno} reads {module}.{node.attr}")
    return found


MODULES = package_modules(PACKAGE)
SUBPACKAGES = sorted(m for m in MODULES if m.count(".") == 1 and MODULES[m].name == "__init__.py")


def test_every_module_has_a_layer():
    for name in MODULES:
        layer_of(name, LAYERS)


def test_the_facade_is_checked_and_sits_on_top():
    assert FACADE in import_graph(MODULES)
    assert layer_of(FACADE, LAYERS) == len(LAYERS) - 1 > layer_of("costlab.cli", LAYERS)


def test_no_module_imports_from_a_higher_layer():
    assert upward_imports(MODULES, LAYERS) == []


def test_there_are_no_import_cycles():
    assert import_cycles(import_graph(MODULES)) == []


def test_no_module_reads_a_private_name_of_another():
    assert private_names(MODULES) == []


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_a_package_init_imports_only_its_own_modules(package):
    outside = [item.module for item in imports(package, MODULES[package])
               if not item.module.startswith(package + ".")
               and layer_of(item.module, LAYERS) > layer_of(package, LAYERS)]
    assert outside == []


def test_at_most_ten_modules_at_the_top_level():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 10, top


# The checker on synthetic packages: a clean one passes, and each broken rule is found.

TOY_LAYERS = [{"toy.low"}, {"toy.high"}, {"toy"}]
TOY = {
    "toy/__init__.py": ("from toy.high import api\nfrom toy.low import base\n\n"
                        "VERSION = base.VERSION\n"),
    "toy/low/__init__.py": "",
    "toy/low/base.py": "VERSION = '1'\n",
    # reads of _names that are not another module's: an object's, torch's, a dunder, its own
    "toy/low/core.py": ("import torch\nimport toy.low.base\nfrom . import base\n"
                        "from toy.low import base as b\n\n\n"
                        "def helper(x):\n"
                        "    return (x._cache, torch._C, b.__name__, toy.low.base.VERSION,\n"
                        "            base.VERSION, core._private())\n\n\n"
                        "def _private():\n    return 0\n\n\n"
                        "import toy.low.core as core\n"),
    "toy/high/__init__.py": "",
    "toy/high/api.py": ("from toy.low.core import helper\nfrom ..low import core\n\n\n"
                        "def lazy():\n    from toy.low import core as c\n    return c.helper\n"),
}


def _toy(tmp_path: Path, changes: dict[str, str] | None = None) -> dict[str, Path]:
    """The toy package, with `changes` (file -> its text), written under tmp_path."""
    for path, text in (TOY | (changes or {})).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    return package_modules(tmp_path / "toy")


def test_a_clean_toy_package_passes(tmp_path):
    modules = _toy(tmp_path)
    graph = import_graph(modules)
    assert graph["toy"] == {"toy.high.api", "toy.low.base"}
    assert graph["toy.low.core"] == {"toy.low.base"}
    assert graph["toy.high.api"] == {"toy.low.core"}
    assert upward_imports(modules, TOY_LAYERS) == []
    assert import_cycles(graph) == []
    assert private_names(modules) == []


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    modules = _toy(tmp_path, {"toy/low/extra.py": "def f():\n    from toy.low import core\n",
                              "toy/low/core.py": TOY["toy/low/core.py"] + "import toy.low.extra\n"})
    assert import_cycles(import_graph(modules)) == ["toy.low.core -> toy.low.extra -> toy.low.core"]


@pytest.mark.parametrize("line", [
    "from toy.high.api import lazy",
    "import toy.high.api",
    "from toy.high import api",
    "from ..high import api",            # relative, resolved
    "from ..high.api import lazy",
    "from .. import high",               # the package toy.high
    "from toy import VERSION",           # a name of the facade
    "from .. import VERSION",
])
def test_an_upward_import_is_found(tmp_path, line):
    modules = _toy(tmp_path, {"toy/low/extra.py": f"def f():\n    {line}\n"})
    assert [u.split(" imports ")[0] for u in upward_imports(modules, TOY_LAYERS)] == [
        "toy.low.extra (layer 0)"]


def test_an_import_from_the_facade_is_a_cycle_when_the_facade_imports_back(tmp_path):
    modules = _toy(tmp_path, {"toy/high/api.py": "def version():\n    from toy import VERSION\n"})
    assert import_cycles(import_graph(modules)) == ["toy -> toy.high.api -> toy"]


def test_a_relative_import_beyond_the_package_is_refused(tmp_path):
    modules = _toy(tmp_path, {"toy/low/extra.py": "from ... import elsewhere\n"})
    with pytest.raises(AssertionError, match="beyond the top package"):
        import_graph(modules)


@pytest.mark.parametrize(("code", "found"), [
    ("from toy.low.core import _private", "takes _private from toy.low.core"),
    ("from .core import _private", "takes _private from toy.low.core"),
    ("import toy.low.core as m\nm._private()", "reads toy.low.core._private"),
    ("from toy.low import core\ncore._private()", "reads toy.low.core._private"),
    ("from . import core as c\nc._private()", "reads toy.low.core._private"),
    ("import toy.low.core\ntoy.low.core._private()", "reads toy.low.core._private"),
    ("import toy\ntoy._hidden", "reads toy._hidden"),
])
def test_a_private_name_of_another_module_is_found(tmp_path, code, found):
    modules = _toy(tmp_path, {"toy/low/extra.py": code + "\n"})
    assert [p.split(" ", 1)[1] for p in private_names(modules)] == [found]
