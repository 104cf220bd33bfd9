"""The code passes `mypy --strict` and `ruff check` with the settings in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mypy import api as mypy_api

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_is_clean(monkeypatch):
    monkeypatch.chdir(ROOT)   # mypy reads [tool.mypy] (strict, files) from ./pyproject.toml
    stdout, stderr, status = mypy_api.run([])
    assert status == 0, f"mypy found problems:\n{stdout}{stderr}"


def test_ruff_is_clean():
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
               "costlab", "tests", "benchmarks"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"ruff found problems:\n{result.stdout}{result.stderr}"
