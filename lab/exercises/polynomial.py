"""Exercise 1.1 of the course: derivatives of order 1–4 of a quartic, and random polynomials.

The course's p0(x) = x⁴ − 2x³ + 3x² − 4x + 5 on 100 points in [−2, 3]; its closed forms p1…p4 come
from the power rule, d/dx Σ aᵢxⁱ = Σ i·aᵢxⁱ⁻¹, applied to the coefficient list.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import sympy as sp

from lab.core.cases import Case, ClosedForm, Function

SOURCE = "homework 1, exercise 1.1"
COURSE_COEFFICIENTS = (5, -4, 3, -2, 1)  # a0 … a4 of p0
X = sp.Symbol("x", real=True)


def course_polynomial(x):
    """p0(x) = x⁴ − 2x³ + 3x² − 4x + 5, written as the course writes it."""
    return x**4 - 2 * x**3 + 3 * x**2 - 4 * x + 5


def power_rule(coefficients: Sequence) -> list:
    """Coefficients of d/dx Σ aᵢxⁱ: (a1, 2·a2, 3·a3, …); the derivative of a constant is 0."""
    return [i * a for i, a in enumerate(coefficients)][1:] or [0]


def horner(coefficients: Sequence, x):
    """Σ aᵢxⁱ by Horner's rule; works on floats, arrays of any library and SymPy symbols."""
    value = 0 * x + float(coefficients[-1])
    for a in reversed(coefficients[:-1]):
        value = value * x + float(a)
    return value


def closed_forms(coefficients: Sequence, orders: Sequence[int]) -> tuple[ClosedForm, ...]:
    """p_k by the power rule applied k times, one ClosedForm per order."""
    forms = []
    for k in orders:
        c = list(coefficients)
        for _ in range(k):
            c = power_rule(c)
        forms.append(ClosedForm(f"power rule p{k}", lambda x, c=c: horner(c, np.asarray(x)), k))
    return tuple(forms)


def course_case(points: np.ndarray | None = None) -> Case:
    """p0 and its derivatives of order 1–4 on the course's 100 points in [−2, 3]."""
    x = np.linspace(-2.0, 3.0, 100) if points is None else np.asarray(points, dtype=np.float64)
    fn = Function("p0", sp.expand(course_polynomial(X)), (X,), course_polynomial)
    orders = (1, 2, 3, 4)
    return Case("polynomial", fn, "derivative", x, orders, closed_forms(COURSE_COEFFICIENTS, orders),
                source=SOURCE)


def random_case(coefficients: Sequence[Fraction], points: np.ndarray, orders=(1, 2, 3, 4)) -> Case:
    """A polynomial with exact rational coefficients; the program evaluates it by Horner's rule
    in float64, so its tolerance is scaled by the rounding bound Σ|bᵢ||x|ⁱ / max(1, |p⁽ᵏ⁾(x)|)."""
    exact = [sp.Rational(c.numerator, c.denominator) for c in coefficients]
    expr = sum(a * X**i for i, a in enumerate(exact))
    fn = Function(f"poly deg {len(exact) - 1}", sp.expand(expr), (X,),
                  lambda x, c=tuple(coefficients): horner(c, x))
    x = np.asarray(points, dtype=np.float64)
    return Case("polynomial", fn, "derivative", x, tuple(orders),
                closed_forms(coefficients, orders), tol_scale=_rounding_scale(exact, x, orders))


def _rounding_scale(coefficients: Sequence, x: np.ndarray, orders: Sequence[int]) -> float:
    scale = 1.0
    c = [float(a) for a in coefficients]
    for _ in range(max(orders) + 1):
        magnitude = horner([abs(a) for a in c], np.abs(x))
        value = np.abs(horner(c, x))
        scale = max(scale, float(np.max((magnitude + 1) / np.maximum(1.0, value))) * (len(c) + 1))
        c = power_rule(c)
    return scale


def cases() -> list[Case]:
    return [course_case()]
