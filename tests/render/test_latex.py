"""LaTeX: a booktabs table per section with caption and label, and every text escaped."""

from __future__ import annotations

from costlab.render import Column, Document, Section, Unit, write
from costlab.render.latex import escape


def test_special_characters_are_escaped():
    assert escape(r"num_classes 50% \input{x} & #1") == \
        r"num\_classes 50\% \textbackslash{}input\{x\} \& \#1"


def test_each_section_is_a_complete_table():
    doc = Document("report", (r"model \input{evil}",), (Section(
        "by_class", "MACs by op_class", (Column("name", "op class"),
                                         Column("macs", "MACs", Unit.INT)),
        ({"name": "depthwise_conv", "macs": 20_716_416},), ("a note: 100%",)),))
    text = write(doc, "latex")
    assert r"\input{evil}" not in text and r"\textbackslash{}input\{evil\}" in text
    assert r"\begin{table}[ht]" in text and r"\end{table}" in text
    assert r"\caption{MACs by op\_class}" in text and r"\label{tab:costlab-report-by-class}" in text
    assert r"\begin{tabular}{lr}" in text and r"\toprule" in text and r"\bottomrule" in text
    assert r"depthwise\_conv & 20,716,416 \\" in text and r"a note: 100\%" in text
