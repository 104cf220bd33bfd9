"""The HTML writer: one self-contained page (no network: styles, script and charts inline) with
the heading, every section as a sortable table, and a bar chart where a section asks for one."""

from __future__ import annotations

import html
import json
from typing import Any

from costlab.render.cells import format_cell, right_aligned, table_cells
from costlab.render.section import Document, Section, text_columns

__all__ = ["write_html"]

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: .2em .7em; border-bottom: 1px solid #ddd; }
th { cursor: pointer; user-select: none; background: #f4f4f4; position: sticky; top: 0; }
th.sorted-asc::after { content: " \\25B2"; } th.sorted-desc::after { content: " \\25BC"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
p.note { color: #555; margin: .2em 0; } svg text { font: 11px system-ui, sans-serif; }
"""

# Sorting reads data-value (the raw number) so 9.6 MB sorts above 802.8 kB. `#sort=KEY` (or
# `#sort=-KEY`) sorts on load: what the browser test uses.
_SCRIPT = """
function sortTable(table, index, descending) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const key = r => { const c = r.cells[index]; const v = c.dataset.value;
                     return v === undefined ? c.textContent : Number(v); };
  rows.sort((a, b) => { const x = key(a), y = key(b);
    const order = (typeof x === "number" && typeof y === "number") ? x - y
                  : String(x).localeCompare(String(y));
    return descending ? -order : order; });
  rows.forEach(r => body.appendChild(r));
  table.querySelectorAll("th").forEach(th => th.classList.remove("sorted-asc", "sorted-desc"));
  table.tHead.rows[0].cells[index].classList.add(descending ? "sorted-desc" : "sorted-asc");
}
document.querySelectorAll("table.sortable").forEach(table => {
  Array.from(table.tHead.rows[0].cells).forEach((th, index) => {
    th.addEventListener("click", () =>
      sortTable(table, index, th.classList.contains("sorted-asc")));
  });
});
const wanted = new URLSearchParams(location.hash.slice(1)).get("sort");
if (wanted) {
  const descending = wanted.startsWith("-");
  const key = descending ? wanted.slice(1) : wanted;
  document.querySelectorAll("table.sortable").forEach(table => {
    const index = Array.from(table.tHead.rows[0].cells).findIndex(th => th.dataset.key === key);
    if (index >= 0) sortTable(table, index, descending);
  });
}
"""


def _cell(value: Any, text: str, right: bool) -> str:
    if right:
        raw = f' data-value="{value}"' if isinstance(value, int | float) else ""
        return f'<td class="num"{raw}>{html.escape(text)}</td>'
    return f"<td>{html.escape(text)}</td>"


def _table(section: Section) -> list[str]:
    columns = text_columns(section.columns)
    cells = table_cells(section.rows, columns)
    right = right_aligned(columns, cells)
    numeric = ' class="num"'
    head = "".join(f'<th data-key="{html.escape(c.key)}"{numeric if r else ""}>'
                   f"{html.escape(c.label)}</th>" for c, r in zip(columns, right, strict=True))
    rows = ["<tr>" + "".join(_cell(row.get(c.key), text, r) for c, text, r
                             in zip(columns, texts, right, strict=True)) + "</tr>"
            for row, texts in zip(section.rows, cells, strict=True)]
    return [f'<table class="sortable" id="{html.escape(section.key)}">',
            f"<thead><tr>{head}</tr></thead>", "<tbody>", *rows, "</tbody>", "</table>"]


def _chart(section: Section) -> list[str]:
    """Horizontal bars of one numeric column per row label, as inline SVG."""
    if section.chart is None:
        return []
    label_key, value_key = section.chart
    bars = [(str(row.get(label_key, "")), float(row.get(value_key) or 0)) for row in section.rows]
    top = max((v for _, v in bars), default=0.0) or 1.0
    height, label_width, bar_width = 14, 220, 480
    lines = [f'<svg role="img" width="{label_width + bar_width + 90}" '
             f'height="{height * len(bars) + 4}" aria-label="{html.escape(value_key)} per row">']
    for i, (label, value) in enumerate(bars):
        y = i * height + 2
        width = value / top * bar_width
        lines.append(f'<text x="{label_width - 4}" y="{y + 10}" text-anchor="end">'
                     f"{html.escape(label[-34:])}</text>")
        lines.append(f'<rect x="{label_width}" y="{y}" width="{width:.1f}" height="{height - 3}"'
                     ' fill="#4a7ab5"/>')
        lines.append(f'<text x="{label_width + width + 4:.1f}" y="{y + 10}">'
                     f"{html.escape(format_cell(value, section.chart_unit))}</text>")
    return [*lines, "</svg>"]


def write_html(document: Document) -> str:
    """The page; deterministic for the same document."""
    title = document.title or (document.heading[0] if document.heading else document.kind)
    body = [f"<h1>{html.escape(title)}</h1>"]
    body += [f'<p class="note">{html.escape(line)}</p>' for line in document.heading
             if line != title]
    for section in document.sections:
        if section.title:
            body.append(f"<h2>{html.escape(section.title)}</h2>")
        body += [f"<p>{html.escape(line)}</p>" for line in section.intro]
        body += _chart(section)
        if section.rows and text_columns(section.columns):
            body += _table(section)
        body += [f'<p class="note">{html.escape(note)}</p>' for note in section.notes]
    body += [f'<p class="note">{html.escape(line)}</p>' for line in document.footer]
    data = html.escape(json.dumps({"kind": document.kind}), quote=False)
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>",
        f'<body data-document="{html.escape(data)}">', *body,
        f"<script>{_SCRIPT}</script>", "</body>", "</html>"]) + "\n"
