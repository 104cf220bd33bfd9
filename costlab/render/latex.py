"""The LaTeX writer: each section a booktabs `table` with caption and label, every text
field escaped, so the output compiles in a document that loads booktabs."""

from __future__ import annotations

import re

from costlab.render.cells import right_aligned, table_cells
from costlab.render.section import Document, Section, text_columns

__all__ = ["escape", "write_latex"]

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}", "—": "---", "…": r"\ldots{}",
            # a module tree's guides (render/tree.py), which pdflatex's fonts do not have
            "│": r"\textbar{}", "├": r"\textbar{}", "└": r"\textbar{}", "─": "-",
            "\u00a0": "~"}
_PATTERN = re.compile("|".join(re.escape(c) for c in _SPECIAL))


def escape(text: str) -> str:
    r"""`num_classes` -> `num\_classes`; `\input{x}` can never run."""
    return _PATTERN.sub(lambda m: _SPECIAL[m.group(0)], text)


def _label(kind: str, key: str) -> str:
    return "tab:costlab-" + re.sub(r"[^a-z0-9-]+", "-", f"{kind}-{key}".lower()).strip("-")


def _table(kind: str, section: Section) -> list[str]:
    columns = text_columns(section.columns)
    cells = table_cells(section.rows, columns)
    spec = "".join("r" if right else "l" for right in right_aligned(columns, cells))
    caption = escape(section.title or section.key.replace("_", " "))
    lines = [r"\begin{table}[ht]", r"\centering", rf"\caption{{{caption}}}",
             rf"\label{{{_label(kind, section.key)}}}", rf"\begin{{tabular}}{{{spec}}}",
             r"\toprule", " & ".join(escape(c.label) for c in columns) + r" \\", r"\midrule"]
    lines += [" & ".join(escape(cell) for cell in row) + r" \\" for row in cells]
    lines += [r"\bottomrule", r"\end{tabular}"]
    lines += [rf"\par\smallskip{{\footnotesize {escape(note)}}}" for note in section.notes]
    return [*lines, r"\end{table}"]


def write_latex(document: Document) -> str:
    """Heading lines as an escaped paragraph, then one table per section with rows."""
    parts = [rf"\paragraph{{{escape(document.title)}}}"] * bool(document.title)
    parts += [escape(line) + r"\par" for line in document.heading]
    for section in document.sections:
        if section.rows and text_columns(section.columns):
            parts += ["", *(escape(line) + r"\par" for line in section.intro),
                      *_table(document.kind, section)]
        elif section.title or section.intro or section.notes:
            parts += ["", *(escape(t) + r"\par" for t in (section.title, *section.intro,
                                                           *section.notes) if t)]
    parts += [escape(line) + r"\par" for line in document.footer]
    return "\n".join(parts) + "\n"
