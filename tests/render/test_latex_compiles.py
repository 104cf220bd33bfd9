"""The LaTeX output compiles with pdflatex and the preamble the README documents (booktabs)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

PDFLATEX = shutil.which("pdflatex")


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (CI installs it)")
@pytest.mark.parametrize("args", [["report", "mobilenetv2", "--depth", "1"],
                                  ["report", "mobilenetv2", "--depth", "3", "--tree"],
                                  ["memory", "mobilenetv2"],
                                  ["compare", "mobilenetv1", "mobilenetv2:alpha=0.5"]])
def test_latex_output_compiles(args, run_cli, tmp_path):
    result = run_cli(*args, "-o", str(tmp_path / "table.tex"))
    assert result.exit_code == 0, result.stderr
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage{booktabs}\n"
        "\\usepackage[margin=1cm,landscape]{geometry}\n"
        "\\begin{document}\n\\input{table.tex}\n\\end{document}\n")
    done = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
