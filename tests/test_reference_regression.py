"""Regression: the classes of issue 20, each against a true value derived here independently —
from a Taylor series, a one-sided branch or a closed form, summed by mpmath at 200 digits — and
never by lab. Each is the reference's answer at the exact point; `None` where no derivative exists.

  cancellation   both fixed precisions lose the same digits ((eˣ − 1)/x at 10⁻¹⁰⁰ was 10¹⁰⁰)
  near tie       a near-tie rounded to a tie (max(x, sin x) at 10⁻²⁰ was undefined)
  kink           differentiable kinks called undefined (x|x| at 0)
  typed          typed decimals rounded to doubles (log1p at −0.9999999999999999)
  underflow      underflow called overflow (eˣ at −100001)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from lab.core.cases import Function
from lab.core.expression import parse
from lab.core.reference import reference

DPS = 200


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    kind: str
    order: int
    at: tuple  # float64 points (tuples for several variables)
    true: Callable[[], list]  # the true value(s) per point, mpmath at DPS digits; None: no derivative
    typed: tuple | None = None  # the typed decimals, when the point is typed


def _series(term: Callable[[int], mp.mpf], start: int) -> mp.mpf:
    return mp.nsum(term, [start, mp.inf])


def _expm1_over_x_d1(x):
    """(eˣ − 1)/x = Σ_{k≥0} xᵏ/(k+1)!, so its derivative is Σ_{k≥1} k·xᵏ⁻¹/(k+1)!."""
    return _series(lambda k: k * x ** (k - 1) / mp.factorial(k + 1), 1)


def _sinc_d(x, order):
    """sin(x)/x = Σ (−1)ᵏ x²ᵏ/(2k+1)!: its derivative of `order` termwise."""
    first = (order + 1) // 2
    return _series(lambda k: (-1) ** k * mp.ff(2 * k, order) * x ** (2 * k - order)
                   / mp.factorial(2 * k + 1), first)


def _one_branch(x, left, right):
    """The branch max(x, sin x) follows right of 0 where x − sin x > 0: x itself, slope 1."""
    assert x - mp.sin(x) > 0
    return right


X = mp.mpf
ROWS = (
    Row("cancellation-expm1", "(exp(x)-1)/x", "derivative", 1, (1e-100,),
        lambda: [_expm1_over_x_d1(X(1e-100))]),
    Row("cancellation-sinc-d2", "sin(x)/x", "derivative", 2, (1e-300,),
        lambda: [_sinc_d(X(1e-300), 2)]),
    Row("cancellation-sinc-d4", "sin(x)/x", "derivative", 4, (1e-50, 1e-12),
        lambda: [_sinc_d(X(1e-50), 4), _sinc_d(X(1e-12), 4)]),
    Row("cancellation-to-zero", "sin(x)**2 + cos(x)**2", "derivative", 1, (0.7,),
        lambda: [mp.mpf(0)]),
    Row("near-tie", "max(x, sin(x))", "derivative", 1, (1e-20,),
        lambda: [_one_branch(X(1e-20), mp.cos(X(1e-20)), mp.mpf(1))]),
    # x|x| = ±x²: one-sided first derivatives ±2x, both 0 at 0; second ±2 differ.
    Row("kink-x-abs-x", "x*abs(x)", "derivative", 1, (0.0,), lambda: [mp.mpf(0)]),
    Row("kink-x-abs-x-d2", "x*abs(x)", "derivative", 2, (0.0,), lambda: [None]),
    # relu(x)² is x² right of 0 and 0 left of it: slopes 2x and 0, both 0 at 0.
    Row("kink-relu-squared", "relu(x)**2", "derivative", 1, (0.0,), lambda: [mp.mpf(0)]),
    # x² ≥ x⁴ for |x| ≤ 1: max(x², x⁴) = x² near 0 on both sides, second derivative 2.
    Row("kink-max-x2-x4", "max(x**2, x**4)", "derivative", 2, (0.0,), lambda: [mp.mpf(2)]),
    # (x − y)|x − y| = ±u², u = x − y: ∂/∂x = ±2u, ∂/∂y = ∓2u, all 0 where x = y.
    Row("kink-gradient", "(x-y)*abs(x-y)", "gradient", 1, ((0.3, 0.3), (-2.0, -2.0)),
        lambda: [[mp.mpf(0), mp.mpf(0)], [mp.mpf(0), mp.mpf(0)]]),
    Row("typed-log1p", "log1p(x)", "derivative", 1, (-0.9999999999999999,),
        lambda: [1 / (1 + mp.mpf("-0.9999999999999999"))], typed=("-0.9999999999999999",)),
    Row("typed-kink", "abs(x-0.1)", "derivative", 1, (0.1,), lambda: [None], typed=("0.1",)),
    Row("typed-constant", "acosh(x+1.0000000000000002)", "derivative", 1, (0.0,),
        lambda: [1 / mp.sqrt(mp.mpf("1.0000000000000002") ** 2 - 1)]),
    Row("underflow-exp", "exp(x)", "derivative", 1, (-100001.0,), lambda: [mp.exp(-100001)]),
    # erf'' = −4x·e^(−x²)/√π
    Row("underflow-erf-d2", "erf(x)", "derivative", 2, (400.0,),
        lambda: [-4 * X(400) * mp.exp(-X(400) ** 2) / mp.sqrt(mp.pi)]),
)


def _reference(row: Row):
    parsed = parse(row.text)
    f = Function(row.id, parsed.expr, parsed.variables, lambda x: x, domain=parsed.domain)
    typed = None if row.typed is None else [(sp.Rational(t),) for t in row.typed]
    return reference(f, row.kind, np.array(row.at, dtype=np.float64), row.order, 60, typed)


def _nearest(value: mp.mpf) -> float:
    with mp.workdps(DPS):
        return float(value)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_the_reference_gives_the_true_value_or_says_there_is_none(row: Row):
    with mp.workdps(DPS):
        true = row.true()
    ref = _reference(row)
    expected = np.array(true, dtype=object).reshape(ref.values.shape)
    for index, t in np.ndenumerate(expected):
        status, got = ref.entry_status[index], ref.values[index]
        if t is None:
            assert status == "undefined", (index, got)
            continue
        assert status == "exact", (index, ref.reasons)
        nearest = _nearest(t)  # the reference is rounded once: the nearest double, or next to it
        assert got == nearest or abs(got - nearest) <= math.ulp(nearest), (index, got, nearest)


def test_the_true_values_are_what_the_closed_forms_give():
    """The series above against closed forms, so that a slip in a series fails here."""
    with mp.workdps(3 * DPS):  # the closed form cancels 200 digits at 1e-100: it needs more
        x = mp.mpf(1e-100)
        closed = (x * mp.exp(x) - mp.expm1(x)) / x**2  # d/dx (eˣ − 1)/x
    with mp.workdps(DPS):
        assert abs(_expm1_over_x_d1(x) - closed) < mp.mpf(10) ** -150
        x = mp.mpf("0.3")
        sinc2 = -mp.sin(x) / x - 2 * mp.cos(x) / x**2 + 2 * mp.sin(x) / x**3
        assert abs(_sinc_d(x, 2) - sinc2) < mp.mpf(10) ** -150
        assert abs(_sinc_d(x, 4) - mp.diff(lambda t: mp.sin(t) / t, x, 4)) < mp.mpf(10) ** -100


@pytest.mark.parametrize(("text", "at", "status"), [
    ("exp(x)", 800.0, "overflow"),
    ("exp(exp(x))", 1e308, "overflow"),  # beyond any ball, still certainly beyond float64
    ("exp(x)", -100001.0, "exact"),
    ("1/(1 + exp(-x))", -1e308, "exact"),  # sigmoid: underflows to 0, never overflow
])
def test_overflow_and_underflow_are_told_apart(text, at, status):
    parsed = parse(text)
    f = Function(text, parsed.expr, parsed.variables, lambda x: x, domain=parsed.domain)
    assert reference(f, "derivative", np.array([at]), 1, 60).status.tolist() == [status]
