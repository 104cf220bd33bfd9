"""The HTML report: one self-contained page; in headless Chromium (where installed) it loads
without console errors, shows the totals and sorts its tables."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from click.testing import CliRunner

    from costlab.cli import cli
    path = tmp_path_factory.mktemp("html") / "mobilenetv2.html"
    result = CliRunner().invoke(cli, ["report", "mobilenetv2", "-o", str(path)])
    assert result.exit_code == 0, result.stderr
    return path


def test_the_page_is_self_contained(page):
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://|<link|\bsrc=|@import", text)   # nothing fetched
    assert "300,774,272" in text and '<table class="sortable" id="layers">' in text
    assert "<svg" in text                                            # the per-layer chart


def test_memory_and_compare_write_html_too(run_cli):
    for args in (["memory", "lenet5"], ["compare", "lenet5", "alexnet"]):
        result = run_cli(*args, "--format", "html")
        assert result.exit_code == 0 and '<table class="sortable"' in result.stdout


def _chromium(url: str, tmp_path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
         "--v=0", "--virtual-time-budget=2000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it)")
def test_chromium_loads_the_page_sorts_it_and_logs_no_error(page, tmp_path):
    done = _chromium(page.as_uri() + "#sort=-macs", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    dom = done.stdout
    assert "300,774,272" in dom                                     # the totals are there
    layers = dom[dom.index('id="layers"'):]
    first_row = re.search(r"<tbody>\s*<tr><td>([^<]+)</td>", layers).group(1)
    # sorted by MACs, descending: the costliest layer of MobileNetV2 comes first
    assert first_row == "conv2.conv"
    assert 'class="num sorted-desc"' in layers or "sorted-desc" in layers
