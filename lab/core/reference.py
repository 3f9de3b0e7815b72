"""The exact reference: SymPy's derivative of the function as written, evaluated by mpmath with its
digits certified.

Certification: the derivative is evaluated at 30, 60, 120, … digits until two successive values
agree to 2⁻⁶⁴ relative (well past float64's 2⁻⁵³). Cancellation that would fool a fixed precision
(sin(x)/x near 0, (x⁸ − 1)/(x − 1) near 1) only costs more digits. Cancellation can also produce an
exact 0 at two precisions in a row, so a value below 10⁻⁴⁰ is certified only once it stays there at
ZERO_DIGITS (240) digits and at the next step (it is then reported as exactly 0): to cancel 240
digits an expression would need intermediate values near 10²⁴⁰, far outside float64. If the
ladder ends first the value is `uncertified`; if the time budget ends first it is `timeout` —
never a guess.

Each point gets a status:
  exact        certified, rounded once to float64
  undefined    the function as written is undefined there (a `Condition` of its domain fails, or it
               is not real), or its derivative does not exist (a kink: sign/Heaviside/DiracDelta at 0)
  overflow     the exact value exists but lies beyond float64's range
  uncertified  the precision ladder ended before two evaluations agreed
  timeout      the time budget ran out

Alongside each value: its condition κ, the ρ-distance between the exact derivative at the point and
at the point with every input and every non-integer constant moved by one rounding (relative ε), in
units of ε. A float64 method that computes the derivative to within rounding of its inputs cannot be
expected to do better than ε·κ; the tolerance policy (`lab.core.compare`) builds on it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

from lab.core.budget import OverBudget, budget
from lab.core.cases import Condition, Function, Kind
from lab.core.symbolic import MPMATH_MODULES, NoDerivative, differentiate

DIGITS = (30, 60, 120, 240, 480, 960)
RELATIVE_AGREEMENT = mpmath.mpf(2) ** -64
ZERO_BELOW = mpmath.mpf(10) ** -40
ZERO_DIGITS = 240
EPS = float(np.finfo(np.float64).eps)
DELTA = sp.Symbol("lab_delta", real=True)  # the relative perturbation of the constants
FLOAT_MAX = mpmath.mpf(np.finfo(np.float64).max)
STATUSES = ("exact", "undefined", "overflow", "uncertified", "timeout")


class NotReal(ArithmeticError):
    """The value is complex: outside the real domain."""


class Uncertified(ArithmeticError):
    """The precision ladder ended before two evaluations agreed."""


@dataclass(frozen=True)
class Reference:
    """Exact values of one derivative at m points, with what is known about each.

    values: float64, shape (m,) or (m, …); nan wherever the point's status is not "exact".
    status: shape (m,), one of STATUSES per point; reasons: why, for points that are not exact.
    condition: κ per value (≥ 1), see the module docstring; primal: max(1, |f|) per point.
    """

    values: np.ndarray
    status: np.ndarray
    condition: np.ndarray
    primal: np.ndarray
    reasons: dict[int, str] = field(default_factory=dict)


@functools.lru_cache(maxsize=512)
def _compiled(expr, variables: tuple, kind: str, order: int):
    """mpmath function of (*variables, DELTA) for the exact `kind`; DELTA scales the constants."""
    exact = expr if kind == "value" else differentiate(expr, variables, kind, order)
    shape = exact.shape if isinstance(exact, sp.MatrixBase) else ()
    if kind == "gradient":
        shape = (shape[0],)
    return sp.lambdify((*variables, DELTA), _with_perturbed_constants(exact), modules=MPMATH_MODULES,
                       cse=True), shape


def _with_perturbed_constants(expr):
    """expr with every non-integer rational constant r written r·(1 ± DELTA) (signs alternating):
    the rounding float64 inflicts on constants it cannot represent."""
    constants = sorted((r for r in expr.atoms(sp.Rational) if not r.is_integer), key=sp.default_sort_key)
    return expr.xreplace({r: r * (1 + (-1) ** i * DELTA) for i, r in enumerate(constants)})


def _real(value) -> mpmath.mpf:
    if isinstance(value, mpmath.mpc | complex):
        if value.imag != 0:
            raise NotReal("the value is complex")
        return mpmath.mpf(value.real)
    if isinstance(value, sp.Basic):  # a SymPy number lambdify left unevaluated (zoo, nan)
        if not value.is_extended_real or not value.is_finite:
            raise NotReal(f"the value is {value}")
    return mpmath.mpf(value)


def _flat(value) -> list[mpmath.mpf]:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [v for item in value for v in _flat(item)]
    return [_real(value)]


def _settled(a: mpmath.mpf, b: mpmath.mpf, digits: int) -> mpmath.mpf | None:
    """b if it agrees with a to 2⁻⁶⁴ relative; 0 if both are below 10⁻⁴⁰ and b was computed with
    at least ZERO_DIGITS digits; None if neither (climb on)."""
    if b != 0 and abs(a - b) <= RELATIVE_AGREEMENT * abs(b):
        return b
    if abs(a) <= ZERO_BELOW and abs(b) <= ZERO_BELOW:
        return mpmath.mpf(0) if digits > ZERO_DIGITS else None
    return None


def certified(fn, args: list) -> tuple[list[mpmath.mpf], int]:
    """fn(*args, 0) evaluated at rising precision until two evaluations agree; (values, digits)."""
    previous = None
    for digits in DIGITS:
        with mpmath.workdps(digits):
            value = _flat(fn(*args, 0))
        if previous is not None:
            settled = [_settled(a, b, digits) for a, b in zip(previous, value, strict=True)]
            if all(v is not None for v in settled):
                return settled, digits
        previous = value
    raise Uncertified(f"two evaluations did not agree even at {DIGITS[-1]} digits")


def _condition(fn, args: list, exact: list, digits: int) -> list[float]:
    """κ per value: the largest ρ-change from one rounding of the inputs and constants, over ε."""
    worst = [1.0] * len(exact)
    patterns = [(1,) * len(args), tuple((-1) ** i for i in range(len(args)))]
    with mpmath.workdps(digits + 20):
        for signs, delta in zip(patterns, (EPS, -EPS), strict=True):
            moved = [a * (1 + s * mpmath.mpf(EPS)) for a, s in zip(args, signs, strict=True)]
            try:
                values = _flat(fn(*moved, mpmath.mpf(delta)))
            except (ArithmeticError, ValueError):  # the moved point left the domain: no estimate
                continue
            for i, (v, e) in enumerate(zip(values, exact, strict=True)):
                worst[i] = max(worst[i], float(abs(v - e) / (EPS * max(1, abs(e)))))
    return worst


def _domain_failure(domain: tuple[Condition, ...], variables: tuple, args: list) -> str:
    """Why the function as written is undefined at the point ("" when every condition holds)."""
    for condition in domain:
        fn, _ = _compiled(condition.expr, variables, "value", 0)
        try:
            (value,), _ = certified(fn, args)
        except (ArithmeticError, ValueError) as e:
            return f"{condition.what}: {e}"
        if not condition.holds(value):
            return f"{condition.what} of {condition.expr} = {mpmath.nstr(value, 6)} is undefined in the reals"
    return ""


@functools.lru_cache(maxsize=8192)
def _primal_magnitude(expr, variables: tuple, point: tuple[float, ...]) -> float:
    """max(1, |f|) at the point, certified; raises where f itself is undefined. Cached: every
    derivative order of a case asks for it at the same points."""
    fn, _ = _compiled(expr, variables, "value", 0)
    primal, _ = certified(fn, [mpmath.mpf(c) for c in point])
    return float(min(max(max(abs(v) for v in primal), 1), FLOAT_MAX))


def _one_point(f: Function, kind: str, order: int, args: list, size: int):
    """(status, values, κ, |f|, reason) at one point."""
    nan = [float("nan")] * size
    why = _domain_failure(f.domain, f.variables, args)
    if why:
        return "undefined", nan, [1.0] * size, 1.0, why
    try:
        magnitude = _primal_magnitude(f.expr, f.variables, tuple(float(a) for a in args))
        fn, _ = _compiled(f.expr, f.variables, kind, order)
        exact, digits = certified(fn, args)
    except (NotReal, ZeroDivisionError, NoDerivative, ValueError) as e:
        return "undefined", nan, [1.0] * size, 1.0, str(e) or type(e).__name__
    except (OverflowError, RecursionError, MemoryError):
        return "overflow", nan, [1.0] * size, 1.0, "the exact value is too large to evaluate"
    except Uncertified as e:
        return "uncertified", nan, [1.0] * size, 1.0, str(e)
    if any(abs(v) > FLOAT_MAX for v in exact):
        return "overflow", nan, [1.0] * size, magnitude, "the exact value lies beyond float64's range"
    return "exact", [float(v) for v in exact], _condition(fn, args, exact, digits), magnitude, ""


def reference(f: Function, kind: Kind, points: np.ndarray, order: int = 1,
              seconds: float | None = None) -> Reference:
    """The exact `kind` of `f` (order `order` for "derivative") at each point, certified.

    points: (m,) for "derivative", (m, n) otherwise; each float64 input is taken as the exact
    number it stores. `seconds` bounds the whole computation (points not reached: "timeout")."""
    order = 2 if kind == "hessian" else order
    points = np.asarray(points, dtype=np.float64)
    per_point = points.reshape(len(points), -1)
    rows: list[tuple] = []
    shape: tuple = ()
    try:
        with budget(seconds, "the exact reference"):
            _, shape = _compiled(f.expr, f.variables, kind, order)
            size = int(np.prod(shape))
            for x in per_point:
                rows.append(_one_point(f, kind, order, [mpmath.mpf(float(c)) for c in x], size))
    except OverBudget as e:
        size = int(np.prod(shape))
        rows += [("timeout", [float("nan")] * size, [1.0] * size, 1.0, str(e))] * (len(points) - len(rows))
    statuses, values, conditions, primal, reasons = zip(*rows, strict=True)
    value_shape = (len(points), *shape)
    return Reference(np.array(values, dtype=np.float64).reshape(value_shape), np.array(statuses),
                     np.array(conditions, dtype=np.float64).reshape(value_shape),
                     np.array(primal, dtype=np.float64),
                     {i: why for i, why in enumerate(reasons) if why})
