"""The exact reference: the derivative of the function as written, at the exact point, enclosed.

Truth. A typed number is the rational it spells: points come as exact coordinates
(`exact_points`) or else as the exact binary numbers their float64 values store, and constants are
the exact numbers SymPy holds. Definedness is decided on the expression as written (its domain
`Condition`s), exactly. The derivative is SymPy's derivative of the smooth branch the function
follows at the point; at a kink (an argument of abs/sign/relu/max/min exactly 0, or a tie), it is
the common value of the one-sided derivatives, or does not exist (`lab.core.kinks`).

Certification. Each value is enclosed in a ball — interval arithmetic with arb
(`lab.core.enclosure`) — at PRECISIONS = 128, 256, … 32768 bits until the ball is narrow enough:
relative width below 2⁻⁶⁰, or absolute width below 2⁻¹¹⁰⁰ (below float64's smallest subnormal, so
the nearest double is determined: underflow is a value, 0 or a subnormal). Cancellation (sin(x)/x
near 0) costs bits, never correctness. A zero is certified only by a ball of zero width (an exact
computation) or by an exact decision; branch decisions are exact too, never made at fixed digits.

Each value gets a status (`entry_status`; a point's `status` is the first of
timeout, uncertified, undefined, overflow, exact among its values):
  exact        certified, rounded once to float64
  undefined    the function as written is undefined at the point, or the derivative does not
               exist there (the one-sided derivatives at a kink differ, or it is infinite)
  overflow     the exact value exists but lies beyond float64's range
  uncertified  no enclosure narrow enough within 32768 bits, or an exact decision that could be
               neither proved nor refuted
  timeout      the time budget ran out

Condition κ. A float64 program sees the nearest doubles of the point and of every constant. κ is
the largest change of the exact value, in units of ε·max(1, |value|), when the point and every
constant float64 cannot hold exactly are moved to their doubles, and when they are moved by one
relative ε in both directions (all up, all down, alternating both ways). A move that crosses onto
a kink or out of the domain makes κ = 1/ε: rounding alone can change the answer there.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp
from flint import arb

from lab.core.agreement import Uncertified, certified  # noqa: F401  (the swell sweep's truth)
from lab.core.budget import OverBudget, budget
from lab.core.cases import Condition, Function, Kind
from lab.core.enclosure import (
    Huge,
    NeedsPrecision,
    NotReal,
    Singular,
    Undecided,
    compiled,
    exact_sign,
    to_float,
)
from lab.core.kinks import AtKink, along_axis, branches, has_kinks, mixed
from lab.core.symbolic import NoDerivative, differentiate

PRECISIONS = (128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)  # bits
DIGITS = tuple(int(bits * math.log10(2)) for bits in PRECISIONS)  # the same ladder in digits
RELATIVE_BITS = 60
ABSOLUTE_FLOOR = arb(2) ** -1100
EPS = float(np.finfo(np.float64).eps)
EXACT_EPS = sp.Rational(1, 2**52)
FLOAT_MAX = float(np.finfo(np.float64).max)
UNSTABLE = 1 / EPS  # κ where one rounding can move the point onto a kink or out of the domain
STATUSES = ("exact", "undefined", "overflow", "uncertified", "timeout")
_FAILURES = ("timeout", "uncertified", "undefined", "overflow")  # a point's status: first present


@dataclass(frozen=True)
class Reference:
    """Exact values of one derivative at m points, with what is known about each.

    values: float64, shape (m,) or (m, …); nan wherever the value's status is not "exact".
    status: shape (m,), one of STATUSES per point; reasons: why, for points that are not exact.
    condition: κ per value (≥ 1), see the module docstring; primal: max(1, |f|) per point.
    entry_status: one of STATUSES per value (shape of values): the entries of a gradient or
    Hessian can differ (∂/∂x may exist at a kink where ∂/∂y does not).
    """

    values: np.ndarray
    status: np.ndarray
    condition: np.ndarray
    primal: np.ndarray
    reasons: dict[int, str] = field(default_factory=dict)
    entry_status: np.ndarray | None = None


@dataclass(frozen=True)
class _Prepared:
    """The function with each constant float64 cannot hold written as a symbol, so that the
    condition can move it; `values` are the exact constants, `doubles` what float64 holds."""

    expr: sp.Expr | sp.ImmutableMatrix
    variables: tuple[sp.Symbol, ...]
    constants: tuple[sp.Symbol, ...]
    values: tuple[sp.Expr, ...]
    doubles: tuple[sp.Rational, ...]
    kinks: bool

    @property
    def names(self) -> tuple[sp.Symbol, ...]:
        return self.variables + self.constants

    def point(self, coordinates) -> dict:
        return dict(zip(self.names, (*coordinates, *self.values), strict=True))


def _double(value: sp.Expr) -> sp.Rational:
    """The double float64 holds for the exact number `value`, as an exact rational (the value
    itself where it lies beyond float64's range: float64 holds no number there)."""
    try:
        if value.is_Rational:
            return sp.Rational(float(Fraction(int(value.p), int(value.q))))
        return sp.Rational(to_float(compiled((value,), ()).evaluate({}, 128)[0]))
    except OverflowError:
        return value


@functools.lru_cache(maxsize=512)
def _prepared(expr, variables: tuple) -> _Prepared:
    found: dict[sp.Expr, sp.Symbol] = {}

    def walk(e, exponent: bool = False):
        if not e.free_symbols:
            # Integers float64 holds, and exponents it holds (x**(1/2) is sqrt), are not rounded
            # by a float64 program; every other constant is.
            if (e.is_Integer or exponent and e.is_Rational) and _double(e) == e:
                return e
            return found.setdefault(e, sp.Dummy(f"c{len(found)}", real=True))
        if e.is_Atom:
            return e
        if e.is_Pow:
            return e.func(walk(e.base), walk(e.exp, exponent=True))
        return e.func(*[walk(a) for a in e.args])

    written = expr.applyfunc(walk) if isinstance(expr, sp.MatrixBase) else walk(expr)
    values = tuple(found)
    return _Prepared(written, variables, tuple(found.values()), values,
                     tuple(_double(v) for v in values), has_kinks(expr))


def _shape(prep: _Prepared, kind: str) -> tuple[int, ...]:
    n = len(prep.variables)
    if kind == "derivative":
        return ()
    if kind == "gradient":
        return (n,)
    if kind == "jacobian":
        return (prep.expr.shape[0], n)
    return (n, n)


@functools.lru_cache(maxsize=1024)
def _derivatives(piece, names: tuple, variables: tuple, kind: str, order: int):
    """The Program of the exact `kind` of a smooth piece, its entries flattened row by row."""
    exact = differentiate(piece, variables, kind, order)
    entries = tuple(exact) if isinstance(exact, sp.MatrixBase) else (exact,)
    return compiled(entries, names)


def _entry_rules(prep: _Prepared, expr, kind: str, order: int, point: dict) -> list:
    """Each entry at a kink (or where the derivative expression is singular) by its own rule:
    an exact number, or the (status, reason) it gets."""
    x = prep.variables
    if kind == "derivative":
        rules = [lambda: along_axis(expr, point, x[0], order)]
    elif kind == "gradient":
        rules = [lambda v=v: along_axis(expr, point, v, 1) for v in x]
    elif kind == "jacobian":
        rules = [lambda r=r, v=v: along_axis(expr[r], point, v, 1)
                 for r in range(expr.shape[0]) for v in x]
    else:
        rules = [lambda a=a, b=b: along_axis(expr, point, a, 2) if a == b else mixed(expr, point, a, b)
                 for a in x for b in x]
    results = []
    for rule in rules:
        try:
            results.append(rule())
        except (NoDerivative, Singular, NotReal) as e:
            results.append(("undefined", str(e) or type(e).__name__))
        except Undecided as e:
            results.append(("uncertified", f"cannot decide {e}"))
    return results


def _settled(ball: arb | Huge) -> bool:
    if isinstance(ball, Huge):  # certainly beyond float64
        return True
    if not ball.is_finite():
        return False
    if ball.is_zero() or ball.rad() < ABSOLUTE_FLOOR:
        return True
    return ball.rel_accuracy_bits() >= RELATIVE_BITS or ball.abs_lower() > FLOAT_MAX


def _ladder(program, point: dict) -> tuple[list[arb | None], int]:
    """The balls at the first precision where all are settled (else at the last one; None where
    a ball touched a singular point it is not at, even at the last)."""
    balls, used = None, PRECISIONS[-1]
    for bits in PRECISIONS:
        try:
            balls, used = program.evaluate(point, bits), bits
        except NeedsPrecision:
            continue
        if all(_settled(b) for b in balls):
            break
    return balls if balls is not None else [None] * len(program.outputs), used


def _outcome(ball: arb | None) -> tuple[str, float, str]:
    """(status, float64 value, reason) of one enclosure."""
    if ball is None or not _settled(ball):
        width = "" if ball is None or not ball.is_finite() else f" (still ±{float(ball.rad()):.1e})"
        return "uncertified", math.nan, f"no enclosure narrow enough within {PRECISIONS[-1]} bits{width}"
    if isinstance(ball, Huge) or ball.abs_lower() > FLOAT_MAX:
        return "overflow", math.nan, "the exact value lies beyond float64's range"
    try:
        value = to_float(ball)
    except OverflowError:
        return "overflow", math.nan, "the exact value lies beyond float64's range"
    return "exact", value + 0.0, ""  # + 0.0: an underflow to −0 is reported as 0


def _values(prep: _Prepared, kind: str, order: int, point: dict, bits: int | None = None):
    """[(status, ball, reason)] per entry at the point (status "" for a ball to judge), and the
    bits used: enclosed on the ladder (bits None) or once at `bits` (for the condition)."""
    try:
        piece = branches(prep.expr, point) if prep.kinks else prep.expr
    except AtKink:
        return _by_rules(prep, prep.expr, kind, order, point, bits)
    program = _derivatives(piece, prep.names, prep.variables, kind, order)
    try:
        balls, used = (program.evaluate(point, bits), bits) if bits else _ladder(program, point)
    except Singular:  # 0/0 in the derivative's expression: one-sided limits decide
        return _by_rules(prep, piece, kind, order, point, bits)
    return [("", b, "") for b in balls], used


def _by_rules(prep: _Prepared, expr, kind: str, order: int, point: dict, bits: int | None):
    rules = _entry_rules(prep, expr, kind, order, point)
    program = compiled(tuple(r if isinstance(r, sp.Expr) else sp.S.Zero for r in rules), ())
    balls, used = (program.evaluate({}, bits), bits) if bits else _ladder(program, {})
    return [("", b, "") if isinstance(r, sp.Expr) else (r[0], None, r[1])
            for r, b in zip(rules, balls, strict=True)], used


def _domain_failure(domain: tuple[Condition, ...], point: dict) -> str:
    """Why the function as written is undefined at the point ("" when every condition holds)."""
    for c in domain:
        value = c.expr.xreplace(point)
        try:
            if c.kind == "unit":
                holds = exact_sign(value - 1) <= 0 and exact_sign(value + 1) >= 0
            else:
                s = exact_sign(value)
                holds = {"positive": s > 0, "nonnegative": s >= 0, "nonzero": s != 0}[c.kind]
        except (Singular, NotReal) as e:
            return f"{c.what}: {e}"
        if not holds:
            return f"{c.what} of {c.expr} = {_show(value)} is undefined in the reals"
    return ""


def _show(value: sp.Expr) -> str:
    try:
        return f"{to_float(compiled((value,), ()).evaluate({}, 128)[0]):.6g}"
    except (ArithmeticError, ValueError):
        return str(value)


@functools.lru_cache(maxsize=8192)
def _magnitude(prep: _Prepared, coordinates: tuple) -> float:
    """max(1, |f|) at the point, to a few digits (cached: every order of a case asks for it)."""
    flat = tuple(prep.expr) if isinstance(prep.expr, sp.MatrixBase) else (prep.expr,)
    program = compiled(flat, prep.names)
    balls = None
    for bits in (64, 256, 1024, 4096):
        try:
            balls = program.evaluate(prep.point(coordinates), bits)
        except NeedsPrecision:
            continue
        if all(isinstance(b, Huge) or b.is_finite() and (b.rel_accuracy_bits() >= 8
                                                         or b.abs_upper() <= 1) for b in balls):
            break
    if balls is None or not all(isinstance(b, arb) and b.is_finite() for b in balls):
        return FLOAT_MAX
    top = max(b.abs_upper() for b in balls)
    return FLOAT_MAX if top > FLOAT_MAX else max(1.0, float(top))


def _perturbed(prep: _Prepared, coordinates: tuple, doubles: tuple) -> list[dict]:
    """The points a float64 program could see instead: the doubles of the point and constants,
    and everything moved by one relative ε in both directions."""
    exact = (*coordinates, *prep.values)
    held = (*(sp.Rational(float(d)) for d in doubles), *prep.doubles)
    points = [dict(zip(prep.names, held, strict=True))] if held != exact else []
    m = len(exact)
    alternating = tuple((-1) ** i for i in range(m))
    for signs in dict.fromkeys(((1,) * m, (-1,) * m, alternating, tuple(-s for s in alternating))):
        points.append({n: e * (1 + s * EXACT_EPS) for n, e, s in zip(prep.names, exact, signs,
                                                                      strict=True)})
    return points


def _condition(prep: _Prepared, kind: str, order: int, coordinates: tuple, doubles: tuple,
               results: list, bits: int) -> list[float]:
    """κ per value (module docstring); 1 for values that are not exact."""
    worst = [1.0] * len(results)
    for moved_point in _perturbed(prep, coordinates, doubles):
        try:
            moved = [b for _, b, _ in _values(prep, kind, order, moved_point, bits + 64)[0]]
        except (ArithmeticError, NotImplementedError, ValueError, TypeError):
            moved = [None] * len(results)  # the move left the domain or met a singularity
        for i, ((status, ball, value, _), moved_ball) in enumerate(zip(results, moved, strict=True)):
            if status != "exact":
                continue
            if moved_ball is None or isinstance(moved_ball, Huge) or not moved_ball.is_finite():
                worst[i] = max(worst[i], UNSTABLE)
                continue
            change = float(abs(moved_ball - ball).abs_upper()) / (EPS * max(1.0, abs(value)))
            worst[i] = max(worst[i], change)
    return worst


def _one_point(prep: _Prepared, domain, kind: str, order: int, coordinates: tuple,
               doubles: tuple, size: int):
    """(statuses, values, κ, |f|, reason) at one point."""
    point = prep.point(coordinates)
    try:
        why = _domain_failure(domain, dict(zip(prep.variables, coordinates, strict=True)))
        if why:
            return ["undefined"] * size, [math.nan] * size, [1.0] * size, 1.0, why
        magnitude = _magnitude(prep, coordinates)
        entries, bits = _values(prep, kind, order, point)
    except (Singular, NotReal, NoDerivative) as e:
        return ["undefined"] * size, [math.nan] * size, [1.0] * size, 1.0, str(e) or type(e).__name__
    except Undecided as e:
        return ["uncertified"] * size, [math.nan] * size, [1.0] * size, 1.0, f"cannot decide {e}"
    except (NotImplementedError, ValueError, TypeError, RecursionError) as e:  # SymPy's own limits
        return (["uncertified"] * size, [math.nan] * size, [1.0] * size, 1.0,
                f"the exact value could not be enclosed: {type(e).__name__}: {e}")
    results = []  # (status, ball, float64 value, reason) per entry
    for status, ball, reason in entries:
        if status:
            results.append((status, None, math.nan, reason))
        else:
            status, value, reason = _outcome(ball)
            results.append((status, ball, value, reason))
    kappa = _condition(prep, kind, order, coordinates, doubles, results, bits)
    return ([r[0] for r in results], [r[2] for r in results], kappa, magnitude,
            _reason([(r[0], r[3]) for r in results]))


def _reason(results: list[tuple[str, str]]) -> str:
    """Why values are not exact: the one reason, or each entry's (flat index) of a field."""
    failed = [(i, why) for i, (status, why) in enumerate(results) if status != "exact"]
    if len(results) == 1:
        return failed[0][1] if failed else ""
    return "; ".join(f"entry {i}: {why}" for i, why in failed)


def reference(f: Function, kind: Kind, points: np.ndarray, order: int = 1,
              seconds: float | None = None, exact_points=None) -> Reference:
    """The exact `kind` of `f` (order `order` for "derivative") at each point, certified.

    points: (m,) for "derivative", (m, n) otherwise: what float64 programs see. exact_points: the
    exact coordinates (one tuple of SymPy numbers per point, e.g. the typed decimals as
    Rationals); without them each float64 coordinate is taken as the exact number it stores.
    `seconds` bounds the whole computation (points not reached: "timeout")."""
    order = 2 if kind == "hessian" else 1 if kind in ("gradient", "jacobian") else order
    points = np.asarray(points, dtype=np.float64)
    per_point = points.reshape(len(points), -1) if len(points) else np.zeros((0, 1))
    prep = _prepared(f.expr, tuple(f.variables))
    shape = _shape(prep, kind)
    size = int(np.prod(shape))
    rows: list[tuple] = []
    try:
        with budget(seconds, "the exact reference"):
            for i, x in enumerate(per_point):
                doubles = tuple(float(c) for c in x)
                exact = (tuple(sp.sympify(c, strict=True) for c in exact_points[i])
                         if exact_points is not None
                         else tuple(sp.Rational(c) for c in doubles))
                rows.append(_one_point(prep, f.domain, kind, order, exact, doubles, size))
    except OverBudget as e:
        rows += [(["timeout"] * size, [math.nan] * size, [1.0] * size, 1.0, str(e))] * (
            len(points) - len(rows))
    statuses, values, conditions, primal, reasons = zip(*rows, strict=True) if rows else ([],) * 5
    value_shape = (len(points), *shape)
    entry_status = np.array(statuses, dtype=object).reshape(value_shape).astype(str)
    point_status = [next((s for s in _FAILURES if s in row), "exact") for row in statuses]
    return Reference(np.array(values, dtype=np.float64).reshape(value_shape),
                     np.array(point_status, dtype=str),
                     np.array(conditions, dtype=np.float64).reshape(value_shape),
                     np.array(primal, dtype=np.float64),
                     {i: why for i, why in enumerate(reasons) if why}, entry_status)
