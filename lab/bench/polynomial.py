"""Sweep family `polynomial`: p0's derivative of order k at n points, by every registry method and
the power rule (the exercise's closed form), against p0 itself in each method's library."""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from lab.bench.runner import Problem, Sweep
from lab.exercises.gradbench import Deferred
from lab.exercises.polynomial import COURSE_COEFFICIENTS, X, closed_forms, course_polynomial


@functools.cache
def p0() -> Deferred:
    """p0 as the cross-check knows it: the expanded SymPy form and the course's program."""
    return Deferred("p0", lambda: (sp.expand(course_polynomial(X)), (X,)), course_polynomial)


def problem(order: int):
    """The order-k derivative at n points of [−2, 3]."""
    forms = closed_forms(COURSE_COEFFICIENTS, (order,))

    def at(n: int) -> Problem:
        return Problem("derivative", p0(), np.linspace(-2.0, 3.0, n), order, forms)

    return at


def family(plan: dict) -> list[tuple[Sweep, list[int]]]:
    """One sweep per order of the plan (`orders`), each at the plan's `sizes` (points)."""
    return [(Sweep(f"polynomial_order{k}", "polynomial", f"Polynomial p0, derivative of order {k}",
                   "points", problem(k), cap_s=plan.get("cap_s", 10.0)), list(plan["sizes"]))
            for k in plan["orders"]]
