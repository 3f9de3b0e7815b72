"""Sweep family `softmax_jacobian`: the n×n softmax Jacobian at one seeded point by every registry
method and the closed form diag(p) − ppᵀ, beside the cost of writing n×n numbers at all."""

from __future__ import annotations

import functools

import numpy as np

from lab.bench.runner import Problem, Sweep
from lab.core.cases import symbols
from lab.exercises.gradbench import Deferred
from lab.exercises.softmax import GENERAL, softmax, softmax_expr

FLOOR = "write-floor (fill n×n)"


@functools.lru_cache(maxsize=16)
def softmax_of(n: int) -> Deferred:
    """softmax of n logits; its SymPy form is built only when a symbolic method asks."""

    def build():
        import sympy as sp

        z = symbols("z", n)
        return sp.ImmutableMatrix(softmax_expr(z)), z

    return Deferred(f"softmax n={n}", build, softmax)


def _floor(n: int):
    def fill() -> np.ndarray:
        out = np.empty((1, n, n))
        out.fill(1.0)
        return out

    return fill


def problem(n: int) -> Problem:
    """The Jacobian at one point of n logits drawn from N(0, 3²), seeded."""
    z = np.random.default_rng(0).normal(0.0, 3.0, (1, n))
    return Problem("jacobian", softmax_of(n), z, 1, (GENERAL,), ((FLOOR, _floor(n)),))


def family(plan: dict) -> list[tuple[Sweep, list[int]]]:
    """The one sweep, at the plan's `sizes` (n)."""
    return [(Sweep("softmax_jacobian", "softmax_jacobian", "Softmax Jacobian (n×n)", "n", problem,
                   cap_s=plan.get("cap_s", 10.0)), list(plan["sizes"]))]
