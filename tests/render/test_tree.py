"""Module paths drawn as a tree."""

from __future__ import annotations

from costlab.render.tree import tree_labels


def test_tree_labels_draw_the_nesting():
    paths = ["a", "a.x", "a.x.k", "a.y", "a.y.k", "a.y.l", "b"]
    nbsp = "\u00a0"
    assert tree_labels(paths) == ["a", "├─x", f"│{nbsp * 2}└─k", "└─y", f"{nbsp * 3}├─k",
                                  f"{nbsp * 3}└─l", "b"]


def test_a_path_whose_parent_is_not_listed_hangs_under_its_nearest_ancestor():
    assert tree_labels(["a", "a.b.c", "a.d"]) == ["a", "├─b.c", "└─d"]
