"""Terminal output shared by the commands: tables, progress bars, one-line errors."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lab import interrupts


class _Console(Console):
    """rich's Console, except that a reader gone (`lab … | head -3`) ends the command the way
    `lab.cli.main` ends it for plain prints (rich would exit with status 1). In a progress bar's
    refresh thread rich's own way stays: it ends that thread quietly."""

    def on_broken_pipe(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return super().on_broken_pipe()
        raise BrokenPipeError


# Piped output is read by people in files and by programs: don't wrap it at 80 columns.
out = _Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = _Console(stderr=True, highlight=False)


def fail_line(message: str) -> None:
    """Print one unwrapped, unstyled line on stderr (control characters written as escapes)."""
    print("".join(c if c.isprintable() else ascii(c)[1:-1] for c in message), file=sys.stderr)


def printable(text: object) -> str:
    """User-supplied text for a plain (unstyled) line: control characters (ANSI/OSC escapes,
    newlines) and undecodable bytes of a file name written as Python escapes."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in str(text))


def escaped(text: object) -> str:
    """User-supplied text (a path, a name) made safe to print through rich: `printable`, and rich
    markup such as `[/]` or `[reverse]` shown as typed."""
    from rich.markup import escape

    return escape(printable(text))


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    t = Table(title=title, title_justify="left", header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*(str(v) for v in r))
    return t


@contextmanager
def progress(description: str, total: int):
    """A progress bar on stderr (drawn only on a terminal); yields advance(step=1). Each step is
    also a checkpoint where a pending Ctrl-C ends the run (`lab.interrupts`)."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err, transient=True,
                   disable=not sys.stderr.isatty())

    with bar:
        task = bar.add_task(description, total=total)

        def advance(step: int = 1) -> None:
            interrupts.checkpoint()
            bar.advance(task, step)

        yield advance


def fmt_error(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"
