"""Enclosures: every ball contains the exact value, exact decisions are exact, and values too
large for a ball are still reasoned about rigorously."""

import math

import mpmath
import pytest
import sympy as sp
from flint import arb

from lab.core.astronomic import Huge
from lab.core.enclosure import NeedsPrecision, NotReal, Singular, Undecided, compiled, exact_sign, to_float

X = sp.Symbol("x", real=True)
R = sp.Rational


def ball(expr, at, bits=128):
    (b,) = compiled((sp.sympify(expr),), (X,)).evaluate({X: sp.sympify(at)}, bits)
    return b


@pytest.mark.parametrize(("expr", "at", "exact"), [
    (sp.exp(X), R(1, 3), lambda: mpmath.exp(mpmath.mpf(1) / 3)),
    (sp.sin(X) / X, R(10) ** -50, lambda: mpmath.sin(mpmath.mpf(10) ** -50) / mpmath.mpf(10) ** -50),
    (sp.atan(X) + sp.erf(X), R(7, 2), lambda: mpmath.atan(3.5) + mpmath.erf(3.5)),
    (sp.log(X) * sp.acosh(X + 2), R(5, 4), lambda: mpmath.log(1.25) * mpmath.acosh(3.25)),
    (X ** R(1, 3) + sp.sqrt(X), R(8), lambda: mpmath.mpf(2) + mpmath.sqrt(8)),
])
def test_the_ball_contains_the_exact_value(expr, at, exact):
    with mpmath.workdps(300):
        truth = exact()
        b = ball(expr, at, 256)
        mid, rad = mpmath.mpf(b.mid().str(120, radius=False)), mpmath.mpf(b.rad().str(10, radius=False))
        assert abs(mid - truth) <= rad * 1.01 + mpmath.mpf(10) ** -110


def test_cancellation_costs_bits_not_correctness():
    d = sp.diff((sp.exp(X) - 1) / X, X)
    low, high = ball(d, R(1e-100), 128), ball(d, R(1e-100), 1024)
    above_half = arb(10) ** -100 / 3  # the series 1/2 + x/3 + x²/8 + … at x = 1e-100
    assert (low - 0.5).overlaps(above_half) and low.rad() > 1  # wide at 128 bits, but honest
    assert (high - 0.5).overlaps(above_half) and high.rel_accuracy_bits() > 60
    assert to_float(high) == 0.5


def test_exact_zero_is_decided_exactly():
    assert exact_sign(X.xreplace({X: R(1, 10)}) - R(1, 10)) == 0
    assert exact_sign(sp.sin(1) ** 2 + sp.cos(1) ** 2 - 1) == 0  # a proof, not digits
    assert exact_sign(sp.pi - R(355, 113)) == -1
    assert exact_sign(sp.exp(R(-10) ** 6)) == 1  # tiny but positive


def test_a_ball_at_a_singular_point_asks_for_an_exact_decision():
    assert ball(sp.sqrt(X - R(1, 10)), R(1, 10)).is_zero()  # √0 = 0 exactly
    with pytest.raises(Singular):
        ball(1 / (X - R(1, 10)), R(1, 10))
    with pytest.raises(Singular):
        ball(sp.log(X - R(1, 10)), R(1, 10))
    assert ball(sp.asin(X), 1).overlaps(arb.pi() / 2)
    with pytest.raises(NotReal):
        ball(sp.sqrt(X), -1)


def test_a_ball_touching_a_singular_point_it_is_not_at_asks_for_more_bits():
    near = R(1, 10) + R(1, 10**60)
    with pytest.raises(NeedsPrecision):
        ball(1 / (X - R(1, 10)), near, 64)
    assert ball(1 / (X - R(1, 10)), near, 512).contains(10**60)


def test_undecidable_is_said(monkeypatch):
    from lab.core import enclosure

    monkeypatch.setattr(enclosure, "SIGN_BITS", (64,))
    monkeypatch.setattr(enclosure, "_proved_zero", lambda value: False)
    enclosure.exact_sign.cache_clear()
    with pytest.raises(Undecided):
        exact_sign(sp.sin(2) ** 2 + sp.cos(2) ** 2 - 1)
    enclosure.exact_sign.cache_clear()


def test_rounding_to_float64_is_correct_and_underflow_is_a_value():
    assert to_float(ball(X, R(1, 10))) == 0.1
    assert to_float(ball(sp.exp(X), -100001)) == 0.0
    assert to_float(ball(X, R(2) ** -1074)) == 5e-324
    assert math.copysign(1, to_float(ball(-sp.exp(X), -800))) == -1  # −0 from −tiny
    with pytest.raises(OverflowError):
        to_float(ball(sp.exp(X), 800))


def test_values_beyond_any_ball_are_reasoned_about():
    assert isinstance(ball(sp.exp(sp.exp(X)), 10**308), Huge)
    assert ball(1 / (1 + sp.exp(sp.exp(X))), 10**308).contains(0)
    assert to_float(ball(1 / (1 + sp.exp(sp.exp(X))), 10**308)) == 0.0
    assert to_float(ball(sp.tanh(sp.exp(sp.exp(X))), 10**308)) == 1.0
    with pytest.raises(NeedsPrecision):  # Huge − Huge: nothing rigorous to say
        ball(sp.exp(sp.exp(X)) - sp.exp(sp.exp(X) / 2), 10**308)
