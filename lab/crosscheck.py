"""Run every method on every case, compare with the exact reference, and give verdicts.

Error per value (gradbench's): ρ = |x − y| / max(1, |x| + |y|). A row's max error is the largest ρ
over all its values; its verdict is
  agree        max ρ ≤ the method's tolerance for that derivative order (× the case's tol_scale)
  disagree     some ρ is above it — the row says where: point, component, expected, got, ρ
  undefined    the reference itself is undefined (nan) at every point checked
  unsupported  the method cannot compute this, and says why
  error        the method raised; the row carries its message
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields

import numpy as np

from lab.backends import ROUNDING_TOLERANCE, Method, Unsupported, compute
from lab.exercises.base import Case, ClosedForm, order_of
from lab.reference import reference

VERDICTS = ("agree", "disagree", "undefined", "unsupported", "error")
OK_VERDICTS = ("agree", "undefined", "unsupported")


@dataclass(frozen=True)
class Row:
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
    values: np.ndarray | None = field(default=None, repr=False, compare=False)  # what it computed

    @property
    def ok(self) -> bool:
        """True when the verdict is what was expected (a known erratum is expected to disagree)."""
        if self.expected != "agree":
            return self.verdict == self.expected
        return self.verdict in OK_VERDICTS

    def as_json(self) -> dict:
        return {f.name: json_number(getattr(self, f.name)) for f in fields(self) if f.name != "values"}


def json_number(value):
    """JSON has no inf or nan: they become null."""
    return None if isinstance(value, float) and not np.isfinite(value) else value


def rho(expected: np.ndarray, got: np.ndarray) -> np.ndarray:
    """ρ = |x − y| / max(1, |x| + |y|), elementwise; inf where `got` is not finite."""
    with np.errstate(invalid="ignore", over="ignore"):
        r = np.abs(expected - got) / np.maximum(1.0, np.abs(expected) + np.abs(got))
    return np.where(np.isfinite(got), r, np.inf)


def compare(expected: np.ndarray, got: np.ndarray, tol: float) -> tuple[float | None, str, str]:
    """(max ρ, verdict, detail) for one method's values against the reference."""
    got = np.broadcast_to(np.asarray(got, dtype=np.float64), expected.shape)
    defined = np.isfinite(expected)
    if not defined.any():
        return None, "undefined", "the exact derivative is undefined at every point checked"
    r = np.where(defined, rho(np.where(defined, expected, 0.0), got), 0.0)
    worst = float(r.max())
    skipped = int((~defined).sum())
    note = f"{skipped} value(s) where the derivative is undefined were skipped" if skipped else ""
    if worst <= tol:
        return worst, "agree", note
    index = tuple(int(i) for i in np.argwhere(r > tol)[0])
    detail = (f"first bad value at point {index[0]}" + (f", entry {index[1:]}" if len(index) > 1 else "")
              + f": expected {expected[index]:.17g}, got {got[index]:.17g}, ρ = {r[index]:.2e}")
    return worst, "disagree", detail


def _row(case: Case, backend: str, variant: str, family: str, order: int, **fields) -> Row:
    return Row(case.exercise, case.name, backend, variant, family, case.kind, order, **fields)


def _check_one(case: Case, order: int, expected: np.ndarray, label: tuple[str, str, str],
               tol: float, run: Callable[[], np.ndarray], erratum: str = "") -> Row:
    backend, variant, family = label
    expect = "disagree" if erratum else "agree"
    try:
        got = run()
    except Unsupported as e:
        return _row(case, *label, order, max_error=None, tolerance=None, verdict="unsupported",
                    detail=str(e), expected=expect)
    except Exception as e:  # noqa: BLE001 — a backend failing is a result to report, not a crash
        return _row(case, *label, order, max_error=None, tolerance=tol, verdict="error",
                    detail=f"{type(e).__name__}: {e}".splitlines()[0], expected=expect)
    worst, verdict, detail = compare(expected, got, tol)
    if erratum:
        detail = f"course erratum: {erratum}. {detail}".strip()
    return _row(case, *label, order, max_error=worst, tolerance=tol, verdict=verdict,
                detail=detail, expected=expect, values=np.asarray(got, dtype=np.float64))


def _closed_form_values(form: ClosedForm, case: Case) -> np.ndarray:
    if case.kind == "derivative":
        return np.broadcast_to(np.asarray(form.compute(case.points), dtype=np.float64),
                               case.points.shape)
    return np.stack([np.asarray(form.compute(x), dtype=np.float64) for x in case.points])


def primal_magnitude(case: Case) -> float:
    """max(1, |f|) over the case's points: finite differences lose ε·|f|/hᵏ to rounding, so their
    tolerance grows with the size of the function values, not of the derivative."""
    with np.errstate(all="ignore"):
        values = [np.abs(np.asarray(case.function.program(x), dtype=np.float64)).max()
                  for x in (case.points if case.kind != "derivative" else [case.points])]
    finite = [v for v in values if np.isfinite(v)]
    return max([1.0, *finite])


def check_case(case: Case, methods: Iterable[Method], closed_forms: bool = True) -> Iterator[Row]:
    """Rows for every (method or closed form) × derivative order of one case."""
    orders = case.orders if case.kind == "derivative" else (order_of(case.kind),)
    methods = list(methods)
    magnitude = primal_magnitude(case) if any(m.family == "numerical" for m in methods) else 1.0
    for order in orders:
        expected = reference(case.function, case.kind, case.points, order)
        for m in methods:
            tol = m.tolerance(order) * case.tol_scale * (magnitude if m.family == "numerical" else 1)
            yield _check_one(case, order, expected, (m.backend, m.variant, m.family), tol,
                             lambda m=m, order=order: compute(m, case.kind, case.function, case.points,
                                                            order))
        if not closed_forms:
            continue
        for form in case.closed_forms:
            if form.order != order and case.kind == "derivative":
                continue
            yield _check_one(case, order, expected, ("closed_form", form.name, "exact"),
                             ROUNDING_TOLERANCE * case.tol_scale,
                             lambda form=form: _closed_form_values(form, case), form.erratum)


def check(cases: Iterable[Case], methods: Iterable[Method], closed_forms: bool = True,
          progress: Callable[[Case], None] | None = None) -> list[Row]:
    """All rows for all cases; `progress(case)` is called after each case."""
    rows: list[Row] = []
    methods = list(methods)
    for case in cases:
        rows.extend(check_case(case, methods, closed_forms))
        if progress:
            progress(case)
    return rows
