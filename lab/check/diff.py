"""The k-th derivative of a user's expression by every method, cross-checked at every point.

A thin user of the cross-check: the expression becomes a `Case` (one per set of values of the
variables held fixed), and each gets the same certified reference, tolerances and verdicts as
`lab check`.

A directional derivative D_v f(x) is the first derivative of the one-variable function
g(t) = f(x + t·v) at t = 0, so it is checked exactly like one: every method and the reference see
g, written with the point's exact coordinates. Where f is differentiable that is ∇f(x)·v; where it
is not, g may still be (max(x, y) along v = (1, 1) at x = y), and where g has a kink at 0 the
reference says `undefined`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from lab.backends import Method
from lab.backends.generated import function_of, vector_function_of
from lab.check.crosscheck import Row, check_against
from lab.core.budget import OverBudget, budget
from lab.core.cases import Case, Condition
from lab.core.compare import OK_VERDICTS
from lab.core.expression import Parsed
from lab.core.reference import Reference, reference

SHOW_SECONDS = 2.0  # for the derivative shown to the user; past it, shown unsimplified or not at all
SIMPLIFY_LIMIT = 200  # operations; beyond that simplify() is not even tried
SHOW_CHARACTERS = 400  # a longer derivative is shown cut, with its length
# Which verdict a method gets over several groups of points: the first present, in this order.
_PRECEDENCE = ("error", "disagree", "timeout", "uncertified", "inaccurate", "agree", "unsupported",
               "overflow", "undefined")


@dataclass
class MethodResult:
    """One method over all points: its values, a verdict per point and its overall verdict."""

    values: np.ndarray
    point_verdicts: list[str]
    errors: np.ndarray
    tolerances: np.ndarray
    verdict: str = "agree"
    max_error: float | None = None
    tolerance: float | None = None
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the verdict is an honest outcome (not a disagreement, error or timeout)."""
        return self.verdict in OK_VERDICTS


@dataclass
class DiffResult:
    """Everything `lab diff` computed: the reference at each point and each method's results.
    For a directional derivative, `direction` holds v and `wrt` is the parameter t of x + t·v."""

    wrt: sp.Symbol
    order: int
    derivative: str
    points: list[dict[sp.Symbol, float]]
    reference: np.ndarray
    status: list[str]
    notes: dict[int, str]
    methods: dict[str, MethodResult]
    direction: dict[sp.Symbol, float] | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.methods.values())


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


def _shown(derive) -> str:
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
        groups.setdefault(tuple(sorted((v.name, x) for v, x in p.items() if v != wrt)), []).append(i)
    return groups


def _fixed(parsed: Parsed, wrt: sp.Symbol, key: tuple):
    """The expression and its domain with the other variables set to the group's exact values."""
    values = {v: sp.Rational(x) for v in parsed.variables for name, x in key if v.name == name}
    domain = tuple(Condition(c.kind, c.expr.xreplace(values), c.what) for c in parsed.domain)
    return parsed.expr.xreplace(values), domain


def differentiate_at(parsed: Parsed, wrt: sp.Symbol, order: int, points: list[dict],
                     methods: list[Method], seconds: float | None) -> DiffResult:
    """Reference values and every method's values of d^k expr / d wrt^k at each point, with
    verdicts; `seconds` bounds the reference and each method per group of points."""
    return _checked(parsed, wrt, order, points, methods, seconds,
                    shown_derivative(parsed.expr, wrt, order))


def differentiate_along(parsed: Parsed, direction: dict[sp.Symbol, float], points: list[dict],
                        methods: list[Method], seconds: float | None) -> DiffResult:
    """D_v expr = d/dt expr(x + t·v) at t = 0 at each point x, by every method, against the
    certified reference (v's float64 components taken exactly, as the points' are)."""
    t = sp.Symbol("t_", real=True)  # variables typed by users have no "_": no collision
    moved = {x: x + t * sp.Rational(float(c)) for x, c in direction.items()}
    # g's domain at t = 0 is f's at x: the conditions stay as written, in x.
    along = Parsed(parsed.expr.xreplace(moved), parsed.variables, parsed.domain)
    result = _checked(along, t, 1, [{**p, t: 0.0} for p in points], methods, seconds,
                      shown_directional(parsed.expr, direction))
    result.points, result.direction = points, direction
    return result


def _checked(parsed: Parsed, wrt: sp.Symbol, order: int, points: list[dict], methods: list[Method],
             seconds: float | None, shown: str) -> DiffResult:
    m = len(points)
    ref_values, status, notes = np.full(m, np.nan), [""] * m, {}
    per_method: dict[str, list[tuple[list[int], Row]]] = {x.label: [] for x in methods}
    for key, indices in _groups(points, wrt).items():
        expr, domain = _fixed(parsed, wrt, key)
        case = Case("diff", function_of(expr, wrt, "expression", domain), "derivative",
                    np.array([points[i][wrt] for i in indices], dtype=np.float64), (order,))
        ref = reference(case.function, "derivative", case.points, order, seconds)
        _record_reference(ref, indices, ref_values, status, notes)
        for row in check_against(case, order, ref, methods, seconds):
            per_method[f"{row.backend}.{row.variant}"].append((indices, row))
    results = {label: _merged(rows, m) for label, rows in per_method.items()}
    return DiffResult(wrt, order, shown, points, ref_values, status, notes, results)


def _record_reference(ref: Reference, indices: list[int], values, status, notes) -> None:
    for j, i in enumerate(indices):
        values[i], status[i] = ref.values[j], str(ref.status[j])
        if j in ref.reasons:
            notes[i] = ref.reasons[j]


def _merged(rows: list[tuple[list[int], Row]], m: int) -> MethodResult:
    """One method's rows (one per group of points) as a result over all points."""
    result = MethodResult(np.full(m, np.nan), [""] * m, np.full(m, np.nan), np.full(m, np.nan))
    for indices, row in rows:
        c = row.comparison
        for j, i in enumerate(indices):
            result.point_verdicts[i] = str(c.value_verdicts[j]) if c is not None else row.verdict
            if row.values is not None:
                result.values[i], result.errors[i] = row.values[j], c.errors[j]
                result.tolerances[i] = c.tolerances[j]
        if row.detail:
            result.details.append(row.detail)
        if row.max_error is not None and (result.max_error is None or row.max_error > result.max_error):
            result.max_error, result.tolerance = row.max_error, row.tolerance
    verdicts = {row.verdict for _, row in rows}
    result.verdict = next(v for v in _PRECEDENCE if v in verdicts)
    return result


@dataclass
class FieldResult:
    """`lab diff --gradient` or `--hessian`: the exact values at each point (vectors or matrices)
    and each method's values, with a verdict per point and overall."""

    kind: str
    variables: tuple[sp.Symbol, ...]
    points: list[dict[sp.Symbol, float]]
    reference: np.ndarray
    status: list[str]
    notes: dict[int, str]
    methods: dict[str, Row]

    def point_verdicts(self, row: Row) -> list[str]:
        """A verdict per point: the first of _PRECEDENCE among the point's entries."""
        if row.comparison is None:
            return [row.verdict] * len(self.points)
        entries = row.comparison.value_verdicts.reshape(len(self.points), -1)
        return [next(v for v in _PRECEDENCE if v in set(e)) for e in entries]

    @property
    def ok(self) -> bool:
        return all(r.verdict in OK_VERDICTS for r in self.methods.values())


def differentiate_field(parsed: Parsed, kind: str, points: list[dict], methods: list[Method],
                        seconds: float | None) -> FieldResult:
    """∇expr ("gradient") or ∇²expr ("hessian") over all its variables at each point, by every
    method, against the certified reference."""
    variables = parsed.variables
    x = np.array([[p[v] for v in variables] for p in points], dtype=np.float64)
    f = vector_function_of(parsed.expr, variables, "expression", parsed.domain)
    order = 2 if kind == "hessian" else 1
    case = Case("diff", f, kind, x)
    ref = reference(f, kind, x, order, seconds)
    rows = {f"{r.backend}.{r.variant}": r for r in check_against(case, order, ref, methods, seconds)}
    return FieldResult(kind, variables, points, ref.values, [str(s) for s in ref.status],
                       dict(ref.reasons), rows)
