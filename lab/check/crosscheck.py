"""Run every method on every case, compare with the certified reference, and give verdicts.

Error per value (gradbench's): ρ = |x − y| / max(1, |x| + |y|). Each method states the error it
should reach at each value (`Method.expected_error`); the tolerance policy and the verdicts —
agree, disagree, inaccurate, undefined, overflow, unsupported, timeout, uncertified, error — are
defined in `lab.core.compare`. A row's verdict covers all its points and values; its detail says
where it failed: point, component, expected, got, ρ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields

import numpy as np

from lab.backends import Method, compute
from lab.core.budget import OverBudget, budget
from lab.core.cases import Case, ClosedForm, order_of
from lab.core.compare import OK_VERDICTS, Comparison, compare, rounding_error
from lab.core.reference import Reference, reference
from lab.errors import Unsupported

SECONDS = 60.0  # default time budget for the reference of one case and order, and for one method

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
    comparison: Comparison | None = field(default=None, repr=False, compare=False)  # per value

    @property
    def ok(self) -> bool:
        """True when the verdict is what was expected (a known erratum is expected to disagree)."""
        if self.expected != "agree":
            return self.verdict == self.expected
        return self.verdict in OK_VERDICTS

    def as_json(self) -> dict:
        return {f.name: json_number(getattr(self, f.name)) for f in fields(self)
                if f.name not in ("values", "comparison")}


def json_number(value):
    """JSON has no inf or nan: they become null."""
    return None if isinstance(value, float) and not np.isfinite(value) else value


def _row(case: Case, backend: str, variant: str, family: str, order: int, **fields) -> Row:
    return Row(case.exercise, case.name, backend, variant, family, case.kind, order, **fields)


def _check_one(case: Case, order: int, ref: Reference, method: Method | None, label: tuple[str, str, str],
               run: Callable[[], tuple[np.ndarray, np.ndarray | None]], seconds: float | None,
               erratum: str = "") -> Row:
    expect = "disagree" if erratum else "agree"
    try:
        with budget(seconds, f"{label[0]}.{label[1]}"):
            got, estimate = run()
    except Unsupported as e:
        return _row(case, *label, order, max_error=None, tolerance=None, verdict="unsupported",
                    detail=str(e), expected=expect)
    except OverBudget as e:
        return _row(case, *label, order, max_error=None, tolerance=None, verdict="timeout",
                    detail=str(e), expected=expect)
    except Exception as e:  # noqa: BLE001 — a backend failing is a result to report, not a crash
        return _row(case, *label, order, max_error=None, tolerance=None, verdict="error",
                    detail=f"{type(e).__name__}: {e}".splitlines()[0], expected=expect)
    expected = (method.expected_error(order, ref, estimate) if method
                else rounding_error(ref)) * case.tol_scale
    result = compare(ref, got, expected)
    detail = f"course erratum: {erratum}. {result.detail}".strip() if erratum else result.detail
    return _row(case, *label, order, max_error=result.max_error, tolerance=result.tolerance,
                verdict=result.verdict, detail=detail, expected=expect,
                values=np.asarray(got, dtype=np.float64), comparison=result)


def _closed_form_values(form: ClosedForm, case: Case) -> tuple[np.ndarray, None]:
    with np.errstate(all="ignore"):
        if case.kind == "derivative":
            return np.broadcast_to(np.asarray(form.compute(case.points), dtype=np.float64),
                                   case.points.shape), None
        return np.stack([np.asarray(form.compute(x), dtype=np.float64) for x in case.points]), None


def _computed(m: Method, case: Case, order: int) -> tuple[np.ndarray, np.ndarray | None]:
    with np.errstate(all="ignore"):  # overflow or 0/0 in a method is judged by its values
        return compute(m, case.kind, case.function, case.points, order)


def check_case(case: Case, methods: Iterable[Method], closed_forms: bool = True,
               seconds: float | None = SECONDS) -> Iterator[Row]:
    """Rows for every (method or closed form) × derivative order of one case; `seconds` bounds the
    reference and each method (a method past it gets `timeout`)."""
    orders = case.orders if case.kind == "derivative" else (order_of(case.kind),)
    methods = list(methods)
    for order in orders:
        ref = reference(case.function, case.kind, case.points, order, seconds)
        yield from check_against(case, order, ref, methods, seconds)
        if not closed_forms:
            continue
        for form in case.closed_forms:
            if form.order != order and case.kind == "derivative":
                continue
            yield _check_one(case, order, ref, None, ("closed_form", form.name, "exact"),
                             lambda form=form: _closed_form_values(form, case), seconds, form.erratum)


def check_against(case: Case, order: int, ref: Reference, methods: Iterable[Method],
                  seconds: float | None = SECONDS) -> Iterator[Row]:
    """One row per method for derivative order `order` of the case, against a computed reference."""
    for m in methods:
        yield _check_one(case, order, ref, m, (m.backend, m.variant, m.family),
                         lambda m=m: _computed(m, case, order), seconds)


def check(cases: Iterable[Case], methods: Iterable[Method], closed_forms: bool = True,
          progress: Callable[[Case], None] | None = None, seconds: float | None = SECONDS) -> list[Row]:
    """All rows for all cases; `progress(case)` is called after each case."""
    rows: list[Row] = []
    methods = list(methods)
    for case in cases:
        rows.extend(check_case(case, methods, closed_forms, seconds))
        if progress:
            progress(case)
    return rows
