"""Sweep family `symbolic`: what the symbolic backends' prepared calls cost against the size of the
expression — a dense polynomial of degree n, or n nested compositions x ↦ x·sin(x + c) (whose
derivative swells by the product rule). The first call of each builds the derivative (SymPy's
diff + lambdify, SymEngine's diff + Lambdify, CasADi's SX graph): the page's first-call column."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import sympy as sp

from lab.bench.runner import Problem, Sweep
from lab.core.arrays import namespace
from lab.exercises.gradbench import Deferred
from lab.exercises.polynomial import X

BACKENDS = ("sympy", "symengine", "casadi")
POINTS = np.linspace(0.1, 0.9, 64)


def expression(kind: str, n: int) -> sp.Expr:
    """Σᵢ (i+1)/(i+2)·xⁱ up to degree n, or n nested compositions e ↦ e·sin(e + i + 1)."""
    if kind == "polynomial":
        return sum(sp.Rational(i + 1, i + 2) * X**i for i in range(n + 1))
    e = X
    for i in range(n):
        e = e * sp.sin(e + i + 1)
    return e


def _program(kind: str, n: int) -> Callable:
    def polynomial(x):
        value = 0 * x + (n + 1) / (n + 2)
        for i in range(n - 1, -1, -1):  # Horner's rule, highest degree first
            value = value * x + (i + 1) / (i + 2)
        return value

    def composed(x):
        xp = namespace(x)
        e = x
        for i in range(n):
            e = e * xp.sin(e + i + 1)
        return e

    return polynomial if kind == "polynomial" else composed


@functools.lru_cache(maxsize=64)
def function_of(kind: str, n: int) -> Deferred:
    """The expression of size n as a Function (SymPy form built on first use)."""
    return Deferred(f"{kind} {n}", lambda: (expression(kind, n), (X,)), _program(kind, n))


def _operation_counts(kind: str) -> Callable[[Sequence[int]], list[str]]:
    return lambda sizes: ["Operation count of SymPy's derivative by size: " + ", ".join(
        f"{n}: {sp.count_ops(sp.diff(expression(kind, n), X))}" for n in sizes)]


def family(plan: dict) -> list[tuple[Sweep, list[int]]]:
    """Polynomial degrees (`sizes`) and nesting depths (`nested`) from the plan."""
    return [(Sweep(f"symbolic_{kind}", "symbolic", f"Symbolic backends' cost, {kind} expressions",
                   "degree" if kind == "polynomial" else "depth",
                   lambda n, kind=kind: Problem("derivative", function_of(kind, n), POINTS),
                   backends=BACKENDS, cap_s=plan.get("cap_s", 10.0),
                   options=dict(min_repeats=3, min_time=0.0, memory=False),
                   describe=_operation_counts(kind)), list(plan[key]))
            for kind, key in (("polynomial", "sizes"), ("nested", "nested"))]
