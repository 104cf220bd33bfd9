"""Render `costlab check` as markdown that reads in a terminal and as a CI job summary, and
explain what failed for one model (also used by costlab.testing)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from costlab.ci.check import CheckResult, MetricCheck
from costlab.render.report import TERMINAL_WIDTH, Format, fmt_int, render_table

__all__ = ["plural", "shown_path", "status", "explain", "render_check"]


def plural(count: int, noun: str) -> str:
    """`1 model`, `3 models`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def status(row: MetricCheck) -> str:
    """`grew`, `over budget`, both, `shrank`, `within tolerance`, `within budget` or `same`."""
    failed = [word for word, flag in (("grew", row.grew), ("over budget", row.over_budget))
              if flag]
    if failed:
        return ", ".join(failed)
    if row.changed and row.old is not None:   # changed implies a locked value
        return "shrank" if row.new < row.old else "within tolerance"
    return "within budget" if row.budget is not None else "same"


def _change(row: MetricCheck) -> str:
    pct = row.change_pct
    if pct is None:
        return ""
    if row.changed and round(pct, 2) == 0:   # a change too small for two decimals still shows
        return "<+0.01%" if pct > 0 else ">-0.01%"
    return f"{pct:+.2f}%" if row.changed else "0.00%"


def _value(row: MetricCheck) -> str:
    key = row.metric.key
    if row.grew:
        return (f"{key} {fmt_int(row.old or 0)} -> {fmt_int(row.new)} ({_change(row)}), past "
                f"the {row.tolerance_pct:g}% tolerance")
    budget = row.budget or 0
    over = f" ({(row.new - budget) / budget:+.2%})" if budget else ""
    return (f"{key} {fmt_int(row.new)} is over its budget of {fmt_int(budget)} by "
            f"{fmt_int(row.new - budget)}{over}")


def _stages(rows: Sequence[MetricCheck]) -> list[str]:
    """Where the failing metrics grew most (or, without a lock entry, the largest stages)."""
    grew: dict[str, list[str]] = {}
    largest: dict[str, list[str]] = {}
    for row in rows:
        stage = row.stage
        if stage is None:
            continue
        if stage.old is None:
            figures = largest.setdefault(stage.stage, [])
            text = f"{fmt_int(stage.new)} {stage.figure}"
        elif stage.new > stage.old:
            figures = grew.setdefault(stage.stage, [])
            text = f"{stage.figure} {fmt_int(stage.old)} -> {fmt_int(stage.new)}" + \
                (f" ({(stage.new - stage.old) / stage.old:+.1%})" if stage.old else "")
        else:
            continue
        if text not in figures:
            figures.append(text)
    return [f"grew most in {name}: {', '.join(figures)}" for name, figures in grew.items()] + \
        [f"largest stage {name}: {', '.join(figures)}" for name, figures in largest.items()]


def explain(rows: Sequence[MetricCheck], *, numbers: bool = True) -> list[str]:
    """What failed for one model, one phrase each: the numbers (unless a table shows them)
    against the tolerance or the budget, the stage that grew most, and where a memory figure
    now peaks."""
    failed = [row for row in rows if row.failed]
    if numbers:
        lines = [_value(row) for row in failed]
        lines += [_value(replace(row, old=None)) for row in failed if row.grew and row.over_budget]
    else:
        grew = [row.metric.key for row in failed if row.grew]
        lines = [f"{', '.join(grew)} grew past the {failed[0].tolerance_pct:g}% tolerance"] \
            if grew else []
        lines += [_value(replace(row, old=None)) for row in failed if row.over_budget]
    lines += _stages(failed)
    for row in failed:
        if row.where_new and row.where_old and row.where_new != row.where_old:
            lines.append(f"{row.metric.key} now at {row.where_new} (was {row.where_old})")
        elif row.where_new and row.stage is None:
            lines.append(f"{row.metric.key} at {row.where_new}")
    return lines


def render_check(result: CheckResult, show_all: bool = False) -> str:
    """A heading with the verdict, what was checked, a table of old, new and change per metric
    (changed and budgeted metrics, or every one with `show_all`), then one line per failing
    model. Prose wraps at the terminal width, which markdown joins again."""
    failures = result.failures
    failed_models = list(dict.fromkeys(row.model for row in failures))
    verdict = f"failed ({plural(len(failed_models), 'model')}, " \
        f"{plural(len(failures), 'metric')})" if failures else "ok"
    lines = [f"### costlab check: {verdict}", "", *_wrap(_scope(result))]
    shown = [row for row in result.rows if show_all or row.changed or row.budget is not None]
    with_budget = any(row.budget is not None for row in shown)
    if shown:
        headers = ["model", "metric", "old", "new", "change", *(["budget"] * with_budget),
                   "status"]
        rows = [[row.model, row.metric.key, "" if row.old is None else fmt_int(row.old),
                 fmt_int(row.new), _change(row),
                 *([fmt_int(row.budget) if row.budget is not None else ""] * with_budget),
                 f"**{status(row)}**" if row.failed else status(row)] for row in shown]
        align = ["left", "left", "right", "right", "right", *(["right"] * with_budget), "left"]
        lines += ["", render_table(headers, rows, Format.MARKDOWN, align)]
    if failures:
        lines.append("")
        for model in failed_models:
            mine = [row for row in failures if row.model == model]
            lines += _wrap(f"- **{model}**: " + "; ".join(explain(mine, numbers=False)), "  ")
    untouched = sorted({row.model for row in result.rows if row.old is not None}
                       - {row.model for row in result.rows if row.changed})
    if untouched and not show_all:
        lines += ["", *_wrap(f"Unchanged: {plural(len(untouched), 'model')} "
                             f"({', '.join(untouched)}).")]
    if result.notes:
        lines.append("")
        for note in result.notes:
            lines += _wrap(f"- note: {note}", "  ")
    if any(row.changed for row in result.rows) and result.lockfile is not None:
        lines += ["", *_wrap("To accept the new costs, rewrite the lock file: costlab snapshot "
                             f"-o {shown_path(result.lockfile)}")]
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, TERMINAL_WIDTH, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def _scope(result: CheckResult) -> str:
    parts = []
    if result.lock is not None:
        lock = result.lock
        parts.append(f"{shown_path(result.lockfile)} ({plural(len(lock.entries), 'model')}; "
                     f"params under '{lock.params}', memory at {lock.dtype})")
    budgeted = sorted({row.model for row in result.rows if row.budget is not None})
    if budgeted:
        parts.append(f"the budgets of {', '.join(budgeted)}")
    return f"Checked {' and '.join(parts) or 'nothing'}; tolerance {result.tolerance_pct:g}%."


def shown_path(path: Path | str | None) -> str:
    """The lock file as the user would type it: relative to the working directory if inside."""
    if path is None:
        return ""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
