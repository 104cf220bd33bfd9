"""The package's imports flow one way: no cycles, no import from a higher layer, no private
name of another module. Every import counts, inside functions and TYPE_CHECKING blocks too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "costlab"

# Bottom to top; a module may import from its own layer or the layers below it. render is
# low: it knows sections and writers, not analyses, which build sections and call it.
LAYERS = [
    {"costlab", "costlab.__about__", "costlab.errors", "costlab.units", "costlab.choices",
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
]
# costlab/__init__.py is the public facade: `costlab.analyze` imports the API on first use,
# so that `costlab --help` starts without torch.
FACADE = "costlab"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [a.name for a in node.names], node.lineno))
    return [item for item in found if item[0].split(".")[0] == "costlab"]


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, names: list[str]) -> list[str]:
    """The costlab modules an import statement depends on (`from pkg import submodule`
    names the submodule)."""
    targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
    return targets if targets and len(targets) == len(names) else [module]


def _layer(module: str) -> int:
    for rank, members in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in members - {"costlab"}):
            return rank
    if module == "costlab":
        return 0
    raise AssertionError(f"{module} is in no layer; add its package to LAYERS")


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        if name == FACADE:
            continue
        for module, names, _ in _imports(path):
            graph[name].update(t for t in _resolve(module, names) if t != name)
    return graph


def test_every_module_has_a_layer():
    for name in MODULES:
        _layer(name)


def test_no_module_imports_from_a_higher_layer():
    upward = [f"{name} (layer {_layer(name)}) imports {target} (layer {_layer(target)})"
              for name, targets in _graph().items() for target in sorted(targets)
              if _layer(target) > _layer(name)]
    assert upward == []


def test_there_are_no_import_cycles():
    graph = _graph()
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
    assert cycles == []


def test_no_module_reads_a_private_name_of_another():
    private = [f"{name}:{line} takes {', '.join(n for n in names if n.startswith('_'))} "
               f"from {module}"
               for name, path in MODULES.items() for module, names, line in _imports(path)
               if any(n.startswith("_") and n != "__version__" for n in names)]
    assert private == []


@pytest.mark.parametrize("package", sorted({m for m in MODULES if m.count(".") == 1
                                            and (PACKAGE / m.split(".")[1]).is_dir()}))
def test_a_package_init_imports_only_its_own_modules(package):
    outside = [module for module, _, _ in _imports(MODULES[package] if package in MODULES
                                                   else PACKAGE / "__init__.py")
               if not module.startswith(package + ".") and _layer(module) > _layer(package)]
    assert outside == []


def test_at_most_ten_modules_at_the_top_level():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 10, top
