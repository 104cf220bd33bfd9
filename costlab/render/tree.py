"""Module paths drawn as a tree, as torchinfo draws them: each row its last name under the
guides of its ancestors (`│  ├─expand`). Spaces in a label are no-break spaces, so the
terminal writer never wraps a label between words and markdown keeps its indentation."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["tree_labels", "BRANCH", "LAST", "PIPE", "GAP"]

_NBSP = "\u00a0"
BRANCH, LAST = "├─", "└─"          # a child with siblings after it; the last child
PIPE, GAP = "│" + _NBSP * 2, _NBSP * 3   # an ancestor with siblings after it; one without


def tree_labels(paths: Sequence[str]) -> list[str]:
    """One label per dotted path, given parents before children (pre-order): top-level
    modules as they are, deeper ones as guides and a branch before their last name. A path
    whose parent is not listed hangs under its nearest listed ancestor."""
    listed = set(paths)

    def parent(path: str) -> str:
        parts = path.split(".")
        for n in range(len(parts) - 1, 0, -1):
            if ".".join(parts[:n]) in listed:
                return ".".join(parts[:n])
        return ""

    parents = [parent(p) for p in paths]
    last_child = {}
    for path, up in zip(paths, parents, strict=True):
        last_child[up] = path          # the last one seen wins
    labels, guides = [], {"": ""}      # path -> the guide its children are drawn under
    for path, up in zip(paths, parents, strict=True):
        name = path[len(up) + 1:] if up else path
        if not up:
            labels.append(name)
            guides[path] = ""
            continue
        last = last_child[up] == path
        above = guides[up]
        labels.append(above + (LAST if last else BRANCH) + name)
        guides[path] = above + (GAP if last else PIPE)
    return labels
