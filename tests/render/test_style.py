"""Colour in the terminal writer: who gets it, and that it never changes the text."""

from __future__ import annotations

import io

import pytest

from costlab.render.section import Column, Document, Section, Unit
from costlab.render.style import strip_styles, verdict_style, wants_style
from costlab.render.text import write_terminal


def test_only_a_colour_terminal_wants_style(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    assert not wants_style(io.StringIO())               # a pipe, a file
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert wants_style(io.StringIO())
    monkeypatch.setenv("TERM", "dumb")
    assert not wants_style(io.StringIO())
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_style(io.StringIO())


@pytest.mark.parametrize("cell, kind", [
    ("exact", "good"), ("rounded", "good"), ("ok", "good"),
    ("explained (bottlenecks view)", "explained"), ("explained", "explained"),
    ("differs", "bad"), ("grew", "bad"), ("not comparable (batch 32, fp32)", "neutral"),
    ("300,774,272", None)])
def test_verdicts_by_what_they_say(cell, kind):
    assert verdict_style(cell) == kind


def test_styled_text_is_the_plain_text_with_codes_around_spans():
    rows = tuple({"name": f"layer{i}", "macs": 10 ** i, "verdict": v}
                 for i, v in enumerate(["exact", "differs", "explained (the blocks view)"]))
    section = Section("published", "figures", (
        Column("name", "name"), Column("macs", "MACs", Unit.INT), Column("verdict", "verdict")),
        rows, ("a footnote",))
    document = Document("report", ("model line", "second line"), (section,))
    plain = write_terminal(document, 40)
    styled = write_terminal(document, 40, styled=True)
    assert "\x1b" not in plain and strip_styles(styled) == plain
    assert "\x1b[32mexact\x1b[0m" in styled and "\x1b[1;31mdiffers\x1b[0m" in styled
    assert "\x1b[2ma footnote\x1b[0m" in styled and styled.startswith("\x1b[1mmodel line")
    # the verdict wraps at 40 columns; its second line keeps the first's yellow
    assert styled.count("\x1b[33m") == 2
