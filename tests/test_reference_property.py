"""Property: on random expressions at points from 10⁻³⁰⁰ to 10³⁰⁰, every value the reference
certifies lies within the error bound of a brute-force evaluation at 2,000 digits.

The brute force is independent of the reference's machinery: SymPy's derivative of the whole
expression (not of the branch the function follows), evaluated by mpmath at 2,000 and at 2,300
digits at the double the point is; their difference bounds the 2,000-digit error. The reference
may round once (half an ulp) and may underflow (a value below the smallest subnormal is 0).
Points where the brute force meets a kink exactly, or values it cannot reach in time, are skipped.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import sympy as sp
from helpers import examples
from hypothesis import event, example, given, reject, settings
from hypothesis import strategies as st

from lab.backends.symbolic import derivative_of
from lab.core.budget import OverBudget, budget
from lab.core.cases import Function
from lab.core.expression import ExpressionError, parse
from lab.core.reference import reference

DIGITS, CHECK_DIGITS = 2000, 2300
FLOAT_MAX = float(np.finfo(np.float64).max)
SMALLEST = mp.mpf(2) ** -1074

UNARY = ("sin", "cos", "exp", "log", "sqrt", "tanh", "atan", "erf", "expm1", "log1p", "abs",
         "relu", "sigmoid", "asinh", "sinh")
CONSTANTS = ("0.1", "3", "2.5", "1.0000000000000002", "7e-5")


class Skip(Exception):
    """The brute force cannot evaluate this point: a kink exactly, or an astronomic exponent."""


def expressions():
    leaves = st.sampled_from(("x", "x", "x", *CONSTANTS))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from("+-*/"), inner).map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
        st.tuples(st.sampled_from(("max", "min")), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(inner, st.integers(2, 3)).map(lambda t: f"({t[0]})**{t[1]}"),
    ), max_leaves=5)


# Quotients that cancel many digits near 0, of x or of a random expression.
CANCELLING = ("(exp({0})-1)/({0})", "sin({0})/({0})", "(1-cos({0}))/({0})**2",
              "(({0})-sin({0}))/({0})**3", "log1p({0})/({0})", "(sqrt(1+({0}))-1)/({0})")


def cancelling():
    inner = st.one_of(st.just("x"), expressions().filter(lambda t: "x" in t))
    return st.tuples(st.sampled_from(CANCELLING), inner).map(lambda t: t[0].format(t[1]))


points = st.tuples(st.sampled_from((1, -1)), st.floats(1.0, 10.0), st.integers(-300, 300)).map(
    lambda t: float(t[0] * t[1] * 10.0 ** t[2]))


def _off_kink(name: str, fn):
    def at(u, *rest):
        if abs(u) < mp.mpf(10) ** (-DIGITS + 100):
            raise Skip(f"{name} at 0")
        return fn(u, *rest)
    return at


def _bounded(fn):
    def at(u):
        if abs(mp.re(u)) > 1e310:  # e^(10³¹⁰) has more digits than memory
            raise Skip("an astronomic exponent")
        return fn(u)
    return at


MODULES = [{"Heaviside": _off_kink("Heaviside", lambda u, *a: mp.mpf(1) if u > 0 else mp.mpf(0)),
            "sign": _off_kink("sign", mp.sign), "DiracDelta": _off_kink("DiracDelta", lambda u, *a: 0),
            "exp": _bounded(mp.exp), "expm1": _bounded(mp.expm1), "sinh": _bounded(mp.sinh),
            "cosh": _bounded(mp.cosh), "log1p": mp.log1p, "erf": mp.erf}, "mpmath"]


def brute_force(expr: sp.Expr, x: sp.Symbol, order: int, at: float) -> tuple[mp.mpf, mp.mpf]:
    """(value at CHECK_DIGITS, bound on the DIGITS-digit error)."""
    fn = sp.lambdify(x, derivative_of(expr, (x,), "derivative", order), modules=MODULES)
    values = []
    for dps in (DIGITS, CHECK_DIGITS):
        with mp.workdps(dps):
            v = mp.mpmathify(fn(mp.mpf(at)))
            if not mp.isfinite(v) or abs(mp.im(v)) > abs(v) * mp.mpf(10) ** -(DIGITS // 2):
                raise Skip("the formula is not finite or not real here")
            values.append(mp.re(v))
    with mp.workdps(CHECK_DIGITS):
        return values[1], abs(values[0] - values[1]) + abs(values[1]) * mp.mpf(10) ** -(DIGITS - 10)


@settings(max_examples=examples(15))
@given(st.one_of(expressions().filter(lambda t: "x" in t), cancelling()), points, st.integers(1, 3))
@example("(exp(x)-1)/x", 1e-100, 1)
@example("sin(x)/x", 1e-300, 2)
@example("max(x, sin(x))", 1e-20, 1)
@example("(1-cos(x))/x**2", 3e-200, 3)
@example("exp(x)", -100001.0, 1)
@example("erf(x)", 400.0, 2)
def test_certified_values_lie_within_a_brute_force_bound(text, at, order):
    try:
        parsed = parse(text)
    except ExpressionError:
        reject()
    if len(parsed.variables) != 1:
        reject()  # a constant expression
    x = parsed.variables[0]
    f = Function("random", parsed.expr, (x,), lambda t: t, domain=parsed.domain)
    ref = reference(f, "derivative", np.array([at]), order, seconds=20)
    status, value = ref.status[0], ref.values[0]
    event(f"reference {status}")
    if status not in ("exact", "overflow"):
        return  # nothing certified to check
    try:
        with budget(30, "the brute force"):
            true, error = brute_force(parsed.expr, x, order, at)
    except (Skip, OverBudget, ZeroDivisionError, ValueError, OverflowError):
        reject()
    with mp.workdps(CHECK_DIGITS):
        if status == "overflow":
            assert abs(true) + error > FLOAT_MAX, (text, at, order, true)
            return
        allowed = 2 * error + abs(true) * mp.mpf(2) ** -52 + SMALLEST
        assert abs(mp.mpf(value) - true) <= allowed, (text, at, order, value, mp.nstr(true, 20))
