"""How honest numdifftools' error estimate is: its estimate beside the true error (against the
certified exact reference) for a few derivatives, and whether the estimate bounds the truth.

The course's p0 at x = 1.3 for orders 1–10 (its derivatives vanish past order 4, so everything past
that is error; the estimate grows with the order as the difference table amplifies rounding), exp′
at 1, atan′ at 1.9 (where the estimate can fall slightly below the truth: it is the spread of the
last extrapolations, not a bound) and (sin x / x)′ at x = 10⁻³, where sin x / x cancels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from lab.backends.numdifftools_fd import compiled
from lab.core.cases import Function
from lab.core.reference import reference
from lab.exercises.polynomial import X, course_polynomial


@dataclass(frozen=True)
class EstimateRow:
    """One derivative by numdifftools: its value, its own error estimate, the exact value, and
    the true absolute error |value − exact|."""

    function: str
    point: float
    order: int
    value: float
    estimate: float
    exact: float
    error: float

    @property
    def bounded(self) -> bool:
        """Whether the estimate is at least the true error."""
        return self.error <= self.estimate


def _sinc(x):
    return np.sin(x) / x


CASES: tuple[tuple[str, sp.Expr, Callable, float, tuple[int, ...]], ...] = (
    ("p0", sp.expand(course_polynomial(X)), course_polynomial, 1.3, tuple(range(1, 11))),
    ("exp", sp.exp(X), np.exp, 1.0, (1,)),
    ("atan", sp.atan(X), np.arctan, 1.9, (1,)),
    ("sin(x)/x", sp.sin(X) / X, _sinc, 1e-3, (1,)),
)


def numdifftools_estimates() -> list[EstimateRow]:
    """numdifftools' estimate and the true error for every (function, point, order) of CASES."""
    rows = []
    for name, expr, program, x0, orders in CASES:
        f = Function(name, expr, (X,), program)
        point = np.array([x0])
        for k in orders:
            result = compiled("derivative", k)(program, point)
            exact = float(reference(f, "derivative", point, k).values[0])
            value = float(np.asarray(result.values).reshape(-1)[0])
            rows.append(EstimateRow(name, x0, k, value, float(np.asarray(result.error).reshape(-1)[0]),
                                    exact, abs(value - exact)))
    return rows
