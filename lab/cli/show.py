"""The one printer of a `Result` on the terminal: `lab check`'s table of rows, or `lab diff`'s
tables per point; then the notes of rows that are not plain agreement, and a summary line."""

from __future__ import annotations

import textwrap

import numpy as np
from rich.markup import escape

from lab.core.results import Result, Row
from lab.output.terminal import escaped, fmt_error, out, printable, table

MANY_POINTS = 12  # above this, `lab diff` shows one summary row per method instead of every point
WIDTH = 80  # `lab check`'s table, the notes and the summary fit this many columns
CASE_WIDTH = 30  # the longest exercise case's name; a longer one folds


def print_result(result: Result) -> None:
    """Print a result for people (JSON is `result.to_json()`)."""
    if result.subject is None:
        _rows(result)
    else:
        _points(result)
    _notes(result)
    bad = result.failures()
    summary = ", ".join(f"{n} {v}" for v, n in result.counts().items())
    out.print()
    _wrapped(f"{len(result.rows)} rows: {summary}. "
             + (f"{len(bad)} unexpected." if bad else "Every row is as expected."))


def _wrapped(text: str, indent: str = "") -> None:
    """Plain text (user-supplied parts escaped) in lines of at most WIDTH columns."""
    for line in textwrap.wrap(printable(text), WIDTH, subsequent_indent=indent,
                              break_long_words=False, break_on_hyphens=False):
        out.print(escape(line), soft_wrap=True)


def _verdict(r: Row) -> str:
    return f"{r.verdict} (erratum)" if r.expected != "agree" and r.ok else r.verdict


def _rows(result: Result) -> None:
    """One table, each case a bold line above its methods' rows: with the case in a column of
    its own the table took over 100 columns; this way it fits 80."""
    rows, case = [], None
    for r in result.rows:
        if r.case != case:
            case = r.case
            rows.append((f"[bold]{escaped(case)}[/bold]", "", "", "", ""))
        rows.append((f"  {escaped(r.label)}", r.order, fmt_error(r.max_error),
                     fmt_error(r.tolerance), _verdict(r)))
    t = table("Against the exact reference (ρ = |x−y| / max(1, |x|+|y|))",
              ["case, method", "k", "max ρ", "tol", "verdict"], rows)
    t.columns[0].max_width = CASE_WIDTH
    out.print(t)


def _points(result: Result) -> None:
    s, ref = result.subject, result.reference
    out.print(escaped(f"{s.mode} of {s.expression}: {s.derivative}"))
    m = len(s.points)
    if m > MANY_POINTS:
        counts = {str(v): int((ref.status == v).sum()) for v in dict.fromkeys(ref.status.tolist())}
        out.print(f"{m} points; reference: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
        out.print(table("every point", ["method", "max ρ", "tolerance", "verdict"],
                        [(escaped(r.label), fmt_error(r.max_error), fmt_error(r.tolerance), r.verdict)
                         for r in result.rows]))
        return
    verdicts = {r.label: r.point_verdicts(m) for r in result.rows}
    for i in range(m):
        head = (f"reference {_value(ref.values[i])}" if ref.status[i] == "exact"
                else f"{ref.status[i]}: {escaped(ref.reasons.get(i, ''))}")
        rows = []
        for r in result.rows:
            value = "-" if r.values is None else _value(r.values[i])
            error = None
            if r.comparison is not None:
                e = np.asarray(r.comparison.errors[i], dtype=np.float64)
                error = float(np.nanmax(e)) if np.isfinite(e).any() else None
            rows.append((escaped(r.label), value, fmt_error(error), verdicts[r.label][i]))
        out.print(table(f"at {escaped(s.point_name(i))}: {head}", ["method", "value", "ρ", "verdict"], rows))


def _value(v) -> str:
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 0:
        return "-" if not np.isfinite(v) else f"{float(v):.17g}"
    return np.array2string(v, precision=17, separator=", ")


def _notes(result: Result) -> None:
    notes = [r for r in result.rows if r.detail and r.verdict not in ("agree",)]
    if not notes:
        return
    out.print("\n[bold]Notes[/bold]")
    for r in notes:
        where = f"{r.case} / {r.label} order {r.order}" if result.subject is None else r.label
        _wrapped(f"- {where} [{r.verdict}]: {r.detail}", indent="  ")
