"""The derivatives of a typed expression by every method, cross-checked at every point: what
`lab diff` and `lab.diff` compute. A thin user of the cross-check: the expression becomes one case
per set of values of the variables held fixed (one case in all for a gradient or Hessian), each
gets the certified reference, tolerances and verdicts of `lab check`, and the rows of one method
are merged into one row over all the points.

A directional derivative D_v f(x) is the first derivative of the one-variable function
g(t) = f(x + t·v) at t = 0, so it is checked exactly like one: every method and the reference see
g, written with the point's exact coordinates. Where f is differentiable that is ∇f(x)·v; where it
is not, g may still be (max(x, y) along v = (1, 1) at x = y), and where g has a kink at 0 the
reference says `undefined`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import sympy as sp

from lab.check.bounds import MAX_ORDER, MAX_POINTS  # noqa: F401 — re-exported
from lab.check.crosscheck import Unit, in_workers
from lab.core.budget import OverBudget, budget
from lab.core.cases import Case, Condition, Function
from lab.core.compare import Comparison, combined
from lab.core.expression import Parsed
from lab.core.reference import Reference
from lab.core.results import Result, Row, Subject
from lab.workers import Pool
from lab.workers.protocol import ExpressionCase

SHOW_SECONDS = 2.0  # for the derivative shown to the user; past it, shown unsimplified or not at all
SIMPLIFY_LIMIT = 200  # operations; beyond that simplify() is not even tried
SHOW_CHARACTERS = 400  # a longer derivative is shown cut, with its length
T = sp.Symbol("t_", real=True)  # the parameter of x + t·v; variables typed by users have no "_"


def shown_derivative(expr: sp.Expr, wrt: sp.Symbol, order: int) -> str:
    """d^k expr / d wrt^k as text, simplified when that is quick; a note when even the
    derivative does not fit in the time given for display."""
    return _shown(lambda: sp.diff(expr, wrt, order))


def shown_directional(expr: sp.Expr, direction: dict[sp.Symbol, float]) -> str:
    """∇expr·v as text, v written with the shortest decimals of its float64 components (as
    fractions when those are short: 1/2, not 0.5000000000000000)."""
    def component(c: float) -> sp.Expr:
        text = repr(float(c))
        return sp.Rational(text) if len(text) <= 8 else sp.Float(c, 17)

    v = {x: component(c) for x, c in direction.items()}
    return _shown(lambda: sp.Add(*[c * sp.diff(expr, x) for x, c in v.items()]))


def shown_field(expr: sp.Expr, variables: tuple[sp.Symbol, ...], kind: str) -> str:
    """The gradient or Hessian over `variables` as text, when quick."""
    if kind == "gradient":
        return _shown(lambda: sp.Matrix([sp.diff(expr, v) for v in variables]).T)
    return _shown(lambda: sp.hessian(expr, variables))


def _shown(derive: Callable[[], sp.Basic]) -> str:
    """The expression `derive()` gives, as text, simplified when that is quick."""
    try:
        with budget(SHOW_SECONDS, "showing the derivative"):
            derivative = derive()
    except OverBudget:
        return f"(too large to show within {SHOW_SECONDS:g} s)"
    if sp.count_ops(derivative) <= SIMPLIFY_LIMIT:
        try:
            with budget(SHOW_SECONDS / 2, "simplifying"):
                derivative = sp.simplify(derivative)
        except OverBudget:
            pass
        except (ValueError, TypeError, RecursionError):  # SymPy's own failures, e.g. rewriting
            pass  # Max(x, exp(-999)) into sinh and cosh it cannot compare: show it unsimplified
    text = str(derivative)
    if len(text) > SHOW_CHARACTERS:
        return f"{text[:SHOW_CHARACTERS]}… ({len(text)} characters)"
    return text


def _groups(points: Sequence[dict], wrt: sp.Symbol) -> dict[tuple, list[int]]:
    """Point indices grouped by the values of the variables held fixed."""
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(points):
        key = tuple(sorted((v.name, exact(x)) for v, x in p.items() if v != wrt))
        groups.setdefault(key, []).append(i)
    return groups


def exact(x: float) -> sp.Expr:
    """The exact number a coordinate stands for: what was typed (`lab.check.asking.Typed`), else
    the double itself."""
    typed = getattr(x, "exact", None)
    return typed if typed is not None else sp.Rational(float(x))


def _fixed(parsed: Parsed, key: tuple):
    """The expression and its domain with the other variables set to the group's exact values."""
    values = {v: x for v in parsed.variables for name, x in key if v.name == name}
    domain = tuple(Condition(c.kind, c.expr.xreplace(values), c.what) for c in parsed.domain)
    return parsed.expr.xreplace(values), domain


def _unit(text: str, expr, variables: tuple, domain: tuple, kind: str, points: np.ndarray, order: int,
          names: list[str], typed: list[tuple]) -> Unit:
    """The case a worker rebuilds (`typed`: each point's exact coordinates, for the reference)."""
    recipe = ExpressionCase(text, expr, variables, domain, kind, points, order, tuple(typed))
    function = Function(text, expr, variables, program=None, domain=domain)
    return Unit(Case("diff", function, kind, points, (order,)), recipe, names)


def differentiate(text: str, parsed: Parsed, subject: Subject, labels: list[str], pool: Pool,
                  seconds: float | None, wrt: sp.Symbol | None = None,
                  direction: dict[sp.Symbol, float] | None = None, progress=None) -> Result:
    """Every method's values of what `subject` asks at its points, with verdicts, against the
    certified reference; `seconds` bounds the reference of each group of points."""
    symbols = {v.name: v for v in (*parsed.variables, *([wrt] if wrt is not None else []))}
    points = [{symbols[k]: x for k, x in p.items()} for p in subject.points]
    m = len(points)
    if subject.mode in ("gradient", "hessian"):
        x = np.array([[p[v] for v in parsed.variables] for p in points], dtype=np.float64)
        units = [_unit(text, parsed.expr, parsed.variables, parsed.domain, subject.mode, x, 1,
                       [subject.point_name(i) for i in range(m)],
                       [tuple(exact(p[v]) for v in parsed.variables) for p in points])]
        indices = [list(range(m))]
    else:
        if direction is not None:  # g(t) = f(x + t·v), differentiated at t = 0
            moved = {x: x + T * exact(c) for x, c in direction.items()}
            parsed = Parsed(parsed.expr.xreplace(moved), parsed.variables, parsed.domain)
            points, wrt = [{**p, T: 0.0} for p in points], T
        units, indices = [], []
        for key, group in _groups(points, wrt).items():
            expr, domain = _fixed(parsed, key)
            units.append(_unit(text, expr, (wrt,), domain, "derivative",
                               np.array([points[i][wrt] for i in group], dtype=np.float64),
                               subject.order, [subject.point_name(i) for i in group],
                               [(exact(points[i][wrt]),) for i in group]))
            indices.append(group)
    checked = in_workers(units, labels, pool, closed_forms=False, seconds=seconds, progress=progress)
    reference = _merged_reference([c.references[u.orders[0]] for c, u in zip(checked, units, strict=True)],
                                  indices, m)
    rows = [_merged([(idx, c.rows[j]) for idx, c in zip(indices, checked, strict=True)], m, text)
            for j in range(len(labels))]
    return Result("diff", rows, subject, reference)


def _merged_reference(answers, indices: list[list[int]], m: int) -> Reference:
    """One reference over all points from the groups' answers (a failed group: its points say why)."""
    shapes = [a.reference.values.shape[1:] for a in answers if a.status == "reference"]
    shape = shapes[0] if shapes else ()
    values, condition = np.full((m, *shape), np.nan), np.ones((m, *shape))
    status, primal, reasons = np.array(["timeout"] * m, dtype=object), np.ones(m), {}
    entries = np.full((m, *shape), "timeout", dtype=object)
    for answer, group in zip(answers, indices, strict=True):
        if answer.status != "reference":
            for i in group:
                status[i] = entries[i] = "timeout" if answer.status == "timeout" else "uncertified"
                reasons[i] = answer.message
            continue
        ref = answer.reference
        for j, i in enumerate(group):
            values[i], status[i], condition[i], primal[i] = (ref.values[j], ref.status[j],
                                                             ref.condition[j], ref.primal[j])
            entries[i] = ref.entry_status[j] if ref.entry_status is not None else ref.status[j]
            if j in ref.reasons:
                reasons[i] = ref.reasons[j]
    return Reference(values, status.astype(str), condition, primal, reasons,
                     entry_status=entries.astype(str))


def _merged(rows: list[tuple[list[int], Row]], m: int, text: str) -> Row:
    """One method's rows (one per group of points) as one row over all points."""
    first = rows[0][1]
    if len(rows) == 1 and len(rows[0][0]) == m and rows[0][0] == list(range(m)):
        return replace(first, case=text)
    values = np.full(m, np.nan)
    errors, tolerances = np.full(m, np.nan), np.full(m, np.nan)
    verdicts = np.array([""] * m, dtype=object)
    estimate = np.full(m, np.nan) if any(r.estimate is not None for _, r in rows) else None
    details, worst = [], (None, None)
    for group, row in rows:
        c = row.comparison
        for j, i in enumerate(group):
            verdicts[i] = str(c.value_verdicts[j]) if c is not None else row.verdict
            if row.values is not None:
                values[i], errors[i], tolerances[i] = row.values[j], c.errors[j], c.tolerances[j]
            if estimate is not None and row.estimate is not None:
                estimate[i] = row.estimate[j]
        if row.detail and row.detail not in details:
            details.append(row.detail)
        if row.max_error is not None and (worst[0] is None or row.max_error > worst[0]):
            worst = (row.max_error, row.tolerance)
    verdict = combined(r.verdict for _, r in rows)
    comparison = Comparison(verdict, worst[0], worst[1], "; ".join(details), errors, verdicts.astype(str),
                            tolerances)
    have = any(r.values is not None for _, r in rows)
    return replace(first, case=text, max_error=worst[0], tolerance=worst[1], verdict=verdict,
                   detail="; ".join(details), values=values if have else None,
                   comparison=comparison if have else None, estimate=estimate,
                   compile_seconds=_total(r.compile_seconds for _, r in rows),
                   compute_seconds=_total(r.compute_seconds for _, r in rows),
                   peak_rss=max((r.peak_rss for _, r in rows if r.peak_rss), default=None))


def _total(seconds) -> float | None:
    known = [s for s in seconds if s is not None]
    return sum(known) if known else None
