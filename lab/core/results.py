"""The one result type of `lab check`, `lab diff` and the Python API.

A `Row` is one method (backend variant or closed form) on one case and derivative order: its
values, verdict, largest ρ and the tolerance there, its own error estimate where it gives one, the
seconds its compile and compute phases took and its worker's peak memory. A `Result` is the rows of
one command with, for `lab diff`, what was asked (`Subject`) and the reference at every point. It
prints itself as JSON (`to_json`, the same text `--json` prints, with a versioned `schema`), as a
pandas frame, and as a table in a notebook (`_repr_markdown_`, `_repr_html_`).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field, fields

import numpy as np

from lab.core.compare import OK_VERDICTS, Comparison, combined
from lab.core.reference import Reference
from lab.meta import lab_version

SCHEMA_VERSION = 1
MiB = 1024**2


def json_number(value):
    """JSON has no inf or nan: they become null; numpy scalars become Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not np.isfinite(value) else value


def nested(values) -> list | float | None:
    """An array as nested lists of JSON numbers (inf and nan as null)."""
    a = np.asarray(values, dtype=np.float64)
    if np.isfinite(a).all():  # the common case, without a Python call per number
        return a.tolist()
    return [nested(v) for v in a] if a.ndim else json_number(float(a))


@dataclass(frozen=True)
class Row:
    """One method on one case and order. `expected` is "agree", or the verdict a known course
    erratum is expected to get."""

    exercise: str
    case: str
    backend: str
    variant: str
    family: str
    kind: str
    order: int
    max_error: float | None
    tolerance: float | None
    verdict: str
    detail: str = ""
    expected: str = "agree"
    values: np.ndarray | None = field(default=None, repr=False, compare=False)
    comparison: Comparison | None = field(default=None, repr=False, compare=False)
    estimate: np.ndarray | None = field(default=None, repr=False, compare=False)
    compile_seconds: float | None = field(default=None, compare=False)
    compute_seconds: float | None = field(default=None, compare=False)
    peak_rss: int | None = field(default=None, compare=False)  # bytes

    @property
    def label(self) -> str:
        return f"{self.backend}.{self.variant}"

    @property
    def ok(self) -> bool:
        """True when the verdict is what was expected (a known erratum is expected to disagree)."""
        if self.expected != "agree":
            return self.verdict == self.expected
        return self.verdict in OK_VERDICTS

    def point_verdicts(self, points: int) -> list[str]:
        """A verdict per point: its values' verdicts combined."""
        if self.comparison is None:
            return [self.verdict] * points
        entries = np.asarray(self.comparison.value_verdicts).reshape(points, -1)
        return [combined(e.tolist()) if e.size else self.verdict for e in entries]

    def as_json(self) -> dict:
        """The row's scalar fields (a `lab check --json` row)."""
        skip = ("values", "comparison", "estimate", "peak_rss")
        return {**{f.name: json_number(getattr(self, f.name)) for f in fields(self) if f.name not in skip},
                "peak_rss_mb": None if self.peak_rss is None else round(self.peak_rss / MiB, 1),
                "ok": self.ok}


@dataclass(frozen=True)
class Subject:
    """What `lab diff` was asked. mode: "derivative" (order `order` by `wrt`), "gradient",
    "hessian" or "directional" (along `direction`); points: one {variable: value} per point."""

    expression: str
    mode: str
    variables: tuple[str, ...]
    points: list[dict[str, float]]
    derivative: str = ""
    wrt: str | None = None
    order: int = 1
    direction: dict[str, float] | None = None

    def point_name(self, i: int) -> str:
        """Point i by its values ("x = -2", "x = 1, y = 2")."""
        return ", ".join(f"{v} = {x:.17g}" for v, x in self.points[i].items())


@dataclass
class Result:
    """The rows of one command; for `lab diff` also its `subject` and the `reference` at every point
    (rows then hold every point's values, one row per method)."""

    command: str
    rows: list[Row]
    subject: Subject | None = None
    reference: Reference | None = None

    @property
    def ok(self) -> bool:
        """Whether every verdict is an honest outcome (no disagreement, error, timeout)."""
        return all(r.ok for r in self.rows)

    def failures(self) -> list[Row]:
        """The rows that are not as expected."""
        return [r for r in self.rows if not r.ok]

    def counts(self) -> dict[str, int]:
        """How many rows got each verdict, in the order they first appear."""
        verdicts = [r.verdict for r in self.rows]
        return {v: verdicts.count(v) for v in dict.fromkeys(verdicts)}

    def row(self, label: str) -> Row:
        """The (first) row of a method, by label ("jax.grad", "closed_form.NAME")."""
        return next(r for r in self.rows if r.label == label)

    # -- JSON --------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON-ready object `to_json` writes (no inf or nan: null)."""
        head = {"schema": {"name": f"lab.{self.command}", "version": SCHEMA_VERSION},
                "lab_version": lab_version(), "ok": self.ok, "counts": self.counts()}
        if self.subject is None:
            return {**head, "rows": [r.as_json() for r in self.rows]}
        s, ref, m = self.subject, self.reference, len(self.subject.points)
        return {**head, "expression": s.expression, "mode": s.mode, "variables": list(s.variables),
                "wrt": s.wrt, "order": s.order, "direction": s.direction, "derivative": s.derivative,
                "points": s.points,
                "reference": {"values": nested(ref.values), "status": [str(x) for x in ref.status],
                              "notes": {str(i): why for i, why in sorted(ref.reasons.items())}},
                "backends": {r.label: self._backend_json(r, m) for r in self.rows}}

    @staticmethod
    def _backend_json(r: Row, m: int) -> dict:
        c = r.comparison

        def per_point(a) -> list:  # the largest entry per point, nan ignored; null unless finite
            a = np.asarray(a, dtype=np.float64).reshape(m, -1)
            largest = np.where(np.isnan(a), -np.inf, a).max(axis=1, initial=-np.inf)
            return [float(x) if np.isfinite(x) else None for x in largest]

        return {"family": r.family, "verdict": r.verdict, "ok": r.ok,
                "max_error": json_number(r.max_error), "tolerance": json_number(r.tolerance),
                "values": None if r.values is None else nested(r.values),
                "error_estimate": None if r.estimate is None else nested(r.estimate),
                "point_verdicts": r.point_verdicts(m),
                "point_errors": [None] * m if c is None else per_point(c.errors),
                "point_tolerances": [None] * m if c is None else per_point(c.tolerances),
                "compile_seconds": json_number(r.compile_seconds),
                "compute_seconds": json_number(r.compute_seconds),
                "peak_rss_mb": None if r.peak_rss is None else round(r.peak_rss / MiB, 1),
                "detail": r.detail}

    def to_json(self) -> str:
        """The result as JSON text: exactly what `lab check --json` / `lab diff --json` print."""
        return json.dumps(self.to_dict(), allow_nan=False, ensure_ascii=False)

    def to_frame(self):
        """One pandas DataFrame row per result row (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Result.to_frame needs pandas: pip install pandas") from None
        return pd.DataFrame([r.as_json() for r in self.rows])

    # -- notebooks ---------------------------------------------------------------------------------
    def _table(self) -> tuple[list[str], list[list[str]]]:
        head = ["backend", "order", "verdict", "max ρ", "tolerance", "compile s", "compute s"]
        rows = [[r.label if self.subject else f"{r.case} / {r.label}", str(r.order), r.verdict,
                 _short(r.max_error), _short(r.tolerance), _short(r.compile_seconds, ".2f"),
                 _short(r.compute_seconds, ".3f")] for r in self.rows]
        return head, rows

    def _title(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items())
        if self.subject is None:
            return f"lab check: {len(self.rows)} rows ({counts})"
        return f"lab diff {self.subject.expression}: {self.subject.derivative} ({counts})"

    def _repr_markdown_(self) -> str:
        head, rows = self._table()
        lines = [f"**{_md(self._title())}**", "", "| " + " | ".join(head) + " |",
                 "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head, rows = self._table()
        cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        return (f"<p><b>{html.escape(self._title())}</b></p>"
                f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>")

    def __repr__(self) -> str:
        return f"<Result {self._title()}>"


def _short(value: float | None, spec: str = ".1e") -> str:
    return "-" if value is None or not np.isfinite(value) else format(value, spec)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
