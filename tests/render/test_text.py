"""The terminal and markdown writers: tables fit the width asked, low-priority columns go
first (with a footnote), nothing is lost, and markdown never wraps."""

from __future__ import annotations

from costlab.render import Column, Document, Section, Unit, write
from costlab.render.text import write_terminal


def _doc(rows, *, columns=None, notes=()):
    columns = columns or (Column("layer", "layer"), Column("path", "path"),
                          Column("macs", "MACs", Unit.INT), Column("note", "note", priority=2))
    return Document("test", ("a heading line",), (Section("rows", "the rows", columns,
                                                          tuple(rows), notes),))


def test_numbers_are_formatted_by_unit_and_right_aligned():
    doc = _doc([{"layer": "conv1", "path": "a", "macs": 10_838_016, "note": "x"}])
    text = write_terminal(doc, width=100)
    line = next(line for line in text.splitlines() if line.startswith("conv1"))
    assert "10,838,016" in line
    header, rule = text.splitlines()[3:5]
    assert header.index("MACs") + len("MACs") == rule.split()[2].__len__() + rule.index(
        rule.split()[2])   # the MACs header ends where its column ends: right-aligned


def test_low_priority_columns_are_left_out_first_and_named():
    rows = [{"layer": "conv1", "path": "p" * 40, "macs": 1, "note": "word " * 10}]
    text = write_terminal(_doc(rows), width=60)
    assert "note" not in text.splitlines()[3]                # the header lost the note column
    assert "(left out to fit 60 columns: note;" in text
    assert max(map(len, text.splitlines())) <= 60
    assert "p" * 40 in text


def test_prose_wraps_between_words_and_names_stay_whole():
    rows = [{"layer": "bottleneck2.0.expand.conv", "path": "word " * 12, "macs": 12_345}]
    columns = (Column("layer", "layer"), Column("path", "path"), Column("macs", "MACs", Unit.INT))
    text = write_terminal(_doc(rows, columns=columns), width=50)
    assert max(map(len, text.splitlines())) <= 50
    assert "bottleneck2.0.expand.conv" in text                # the name is never split
    assert text.count("word") == 12                          # the prose wrapped, nothing lost


def test_a_name_loses_its_middle_only_as_a_last_resort():
    rows = [{"layer": "conv1", "path": "x" * 70, "macs": 12_345, "note": ""}]
    columns = (Column("layer", "layer"), Column("path", "path"), Column("macs", "MACs", Unit.INT))
    text = write_terminal(_doc(rows, columns=columns), width=50)
    assert max(map(len, text.splitlines())) <= 50
    cut = next(w for w in text.split() if "…" in w)
    assert cut.startswith("x") and cut.endswith("x") and len(cut) < 70


def test_markdown_never_wraps_and_keeps_every_column():
    rows = [{"layer": "conv1", "path": "x" * 120, "macs": 5, "note": "n"}]
    text = write(_doc(rows), "markdown")
    assert "x" * 120 in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 3 and table[0].count("|") == 5     # four columns, priority ignored
    assert text.splitlines()[0] == "a heading line" and "**the rows**" in text


def test_a_document_title_is_a_markdown_heading():
    doc = Document("t", ("line",), (), title="costlab check: ok")
    assert write(doc, "markdown").startswith("### costlab check: ok\n\nline\n")
    assert write(doc, "table").startswith("costlab check: ok\n\nline\n")


def _page() -> Document:
    columns = (Column("name", "name"), Column("n", "N", Unit.NUMBER),
               Column("printed", "published", Unit.PRINTED),
               Column("words", "as printed", Unit.PRINTED),
               Column("macs", "MACs", Unit.SI, digits=1))
    rows = ({"name": "x", "n": 1024, "printed": "569M", "words": "h w", "macs": 12_345_678},
            {"name": "yy", "n": 0.75, "printed": "", "words": "4.2M", "macs": None})
    return Document("t", ("A paragraph.",), (
        Section("conventions", "Conventions", (), (), ("one", "two")),
        Section("rows", "Computed", columns, rows, intro=("What the columns mean.",)),
        Section("notes", "Notes", (), (), ("a note",))), title="A page", page=True)


def test_a_page_in_markdown_has_headings_padded_tables_and_lists():
    # Written by hand: `#` title, `##` over a table, "Label:" over a list, and the table as
    # tabulate pads it (2 spaces beyond the widest header).
    assert write(_page(), "markdown") == """\
# A page

A paragraph.

Conventions:

- one
- two

## Computed

What the columns mean.

| name   |    N |   published | as printed   |   MACs |
|:-------|-----:|------------:|:-------------|-------:|
| x      | 1024 |        569M | h w          |  12.3M |
| yy     | 0.75 |             | 4.2M         |        |

Notes:

- a note
"""


def test_printed_figures_align_right_only_when_every_cell_is_a_number():
    from costlab.render.cells import right_aligned
    column = Column("p", "p", Unit.PRINTED)
    assert right_aligned([column], [["569M"], [""], ["-1.7%"], ["4,210,088"]]) == [True]
    assert right_aligned([column], [["569M"], ["Table 6"]]) == [False]
    assert right_aligned([column], [[""], [""]]) == [False]     # nothing to align


def test_an_intro_is_shown_by_every_text_writer():
    for fmt in ("table", "markdown", "html", "latex"):
        assert "What the columns mean." in write(_page(), fmt), fmt
