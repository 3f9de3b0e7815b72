"""The one printer of a `Result` on the terminal: `lab check`'s table of rows, or `lab diff`'s
tables per point; then the notes of rows that are not plain agreement, and a summary line."""

from __future__ import annotations

import numpy as np

from lab.core.results import Result, Row
from lab.output.terminal import escaped, fmt_error, out, table

MANY_POINTS = 12  # above this, `lab diff` shows one summary row per method instead of every point


def print_result(result: Result) -> None:
    """Print a result for people (JSON is `result.to_json()`)."""
    if result.subject is None:
        _rows(result)
    else:
        _points(result)
    _notes(result)
    bad = result.failures()
    summary = ", ".join(f"{n} {v}" for v, n in result.counts().items())
    out.print(f"\n{len(result.rows)} rows: {summary}. "
              + (f"{len(bad)} unexpected." if bad else "Every row is as expected."))


def _verdict(r: Row) -> str:
    return f"{r.verdict} (erratum)" if r.expected != "agree" and r.ok else r.verdict


def _rows(result: Result) -> None:
    out.print(table("Cross-check against the exact reference (ρ = |x−y| / max(1, |x|+|y|))",
                    ["case", "method", "k", "max ρ", "tol", "verdict"],
                    [(escaped(r.case), escaped(r.label), r.order, fmt_error(r.max_error),
                      fmt_error(r.tolerance), _verdict(r)) for r in result.rows]))


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
        out.print(escaped(f"- {where} [{r.verdict}]: {r.detail}"))
