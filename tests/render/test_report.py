"""Rendering: humanized numbers, and terminal tables that fit 100 columns."""

from __future__ import annotations

from costlab.render.report import fmt_bytes, humanize, render_table


def test_humanize_and_bytes():
    assert humanize(300_774_272) == "300.77M" and humanize(999) == "999"
    assert fmt_bytes(401_408) == "401.4 kB" and fmt_bytes(512) == "512 B"


def test_wide_terminal_table_wraps_its_widest_text_column():
    rows = [["conv1", "x" * 70, "12,345", "word " * 8]]       # 5 + 70 + 6 + 40 plus gaps
    text = render_table(["layer", "path", "MACs", "note"], rows, "table",
                        ["left", "left", "right", "left"])
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100
    assert len(lines) > 3                                      # the long path took two lines
    assert sum(line.count("x") for line in lines) == 70       # wrapped, nothing lost
    assert "word " * 7 + "word" in text                        # the other text column stays


def test_markdown_never_wraps():
    rows = [["conv1", "x" * 120]]
    text = render_table(["layer", "path"], rows, "markdown", ["left", "left"])
    assert "x" * 120 in text and len(text.splitlines()) == 3
