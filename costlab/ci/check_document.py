"""What `costlab check` shows, as a neutral document (markdown in a terminal and as a CI job
summary, its alerts as GitHub annotations), and what failed for one model in one line each
(also used by costlab.testing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from costlab.ci.check import CheckResult, MetricCheck
from costlab.render.section import Alert, Column, Document, Section, Unit
from costlab.units import fmt_int

__all__ = ["plural", "shown_path", "status", "explain", "check_document"]


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


def check_document(result: CheckResult, show_all: bool = False) -> Document:
    """The verdict, what was checked, a table of old, new and change per metric (changed and
    budgeted metrics, or every one with `show_all`), then one line per failing model."""
    failures = result.failures
    failed_models = list(dict.fromkeys(row.model for row in failures))
    verdict = f"failed ({plural(len(failed_models), 'model')}, " \
        f"{plural(len(failures), 'metric')})" if failures else "ok"
    shown = [row for row in result.rows if show_all or row.changed or row.budget is not None]
    with_budget = any(row.budget is not None for row in shown)
    columns = [Column("model", "model"), Column("metric", "metric"),
               Column("old", "old", Unit.INT), Column("new", "new", Unit.INT),
               Column("_change", "change", Unit.INT)]
    if with_budget:
        columns.append(Column("budget", "budget", Unit.INT))
    columns.append(Column("status", "status"))
    rows = tuple({"model": row.model, "metric": row.metric.key, "old": row.old, "new": row.new,
                  "change_pct": row.change_pct, "_change": _change(row), "budget": row.budget,
                  "status": status(row), "failed": row.failed} for row in shown)
    notes: list[str] = []
    for model in failed_models:
        mine = [row for row in failures if row.model == model]
        notes.append(f"- **{model}**: " + "; ".join(explain(mine, numbers=False)))
    untouched = sorted({row.model for row in result.rows if row.old is not None}
                       - {row.model for row in result.rows if row.changed})
    if untouched and not show_all:
        notes.append(f"Unchanged: {plural(len(untouched), 'model')} ({', '.join(untouched)}).")
    notes += [f"- note: {note}" for note in result.notes]
    if any(row.changed for row in result.rows) and result.lockfile is not None:
        notes.append("To accept the new costs, rewrite the lock file: costlab snapshot "
                     f"-o {shown_path(result.lockfile)}")
    section = Section("metrics", "", tuple(columns), rows, tuple(notes))
    meta = {"ok": not failures, "tolerance_pct": result.tolerance_pct,
            "lockfile": shown_path(result.lockfile) or None,
            "failed_models": failed_models}
    return Document("check", (_scope(result),), (section,), meta, primary="metrics",
                    title=f"costlab check: {verdict}", alerts=_alerts(result))


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


def _alerts(result: CheckResult) -> tuple[Alert, ...]:
    """One error per failing model (shown on the pull request by the github format), or a
    notice when nothing failed."""
    failures = result.failures
    if not failures:
        return (Alert("notice", "costlab check", f"{_scope(result)} Nothing grew."),)
    file = shown_path(result.lockfile) if result.lockfile is not None else ""
    alerts = []
    for model in dict.fromkeys(row.model for row in failures):
        mine = [row for row in failures if row.model == model]
        alerts.append(Alert("error", f"costlab check: {model} costs more",
                            f"{model}: " + "; ".join(explain(mine)), file))
    return tuple(alerts)
