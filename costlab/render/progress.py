"""Progress on stderr for the commands that run for seconds (reproduce, compare, memory
--measure, latency, sweep): rich's bar when stderr is a terminal, nothing when it is not, so
logs and pipes stay clean. One helper serves every command."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:   # rich is imported when a bar is asked for, not by `costlab --help`
    from rich.progress import Progress, TaskID

__all__ = ["ProgressBar", "progress_bar"]


class ProgressBar:
    """What a command advances: `update(done, total, detail)`; a no-op when hidden."""

    def __init__(self, progress: Progress | None = None, task: TaskID | None = None) -> None:
        self._progress, self._task = progress, task

    @property
    def shown(self) -> bool:
        return self._progress is not None

    def update(self, done: int | None = None, total: int | None = None,
               detail: str = "") -> None:
        """`done` of `total` steps finished (a spinner while the total is unknown); `detail`
        names the step now running (a model, a table)."""
        if self._progress is None or self._task is None:
            return
        self._progress.update(self._task, completed=done, total=total, detail=detail)

    def say(self, detail: str) -> None:
        """Only the step now running, for work counted in messages (latency)."""
        self.update(detail=detail)


@contextmanager
def progress_bar(label: str, stream: TextIO | None = None) -> Iterator[ProgressBar]:
    """A transient bar `label: [####    ] 3/13 detail 0:00:04` on `stream` (stderr) while the
    block runs, erased after it; hidden unless the stream is an interactive terminal as rich
    reads it (FORCE_COLOR shows it anywhere, TERM=dumb hides it)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    console = Console(file=stream or sys.stderr)
    if not console.is_interactive:
        yield ProgressBar()
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("{task.fields[detail]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, redirect_stdout=False,
                  redirect_stderr=False) as progress:
        yield ProgressBar(progress, progress.add_task(label, total=None, detail=""))
