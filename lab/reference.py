"""The exact reference: SymPy's derivative evaluated by mpmath at 40 significant digits, then
rounded once to float64. Where the mathematics is undefined (log of a negative number, 1/0, a
complex result) the value is nan, which the cross-check reports as `undefined`."""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp

from lab.exercises.base import Function, Kind
from lab.sym import MPMATH_MODULES, differentiate

DIGITS = 40


@functools.lru_cache(maxsize=512)
def _compiled(expr, variables: tuple, kind: str, order: int):
    exact = expr if kind == "value" else differentiate(expr, variables, kind, order)
    shape = exact.shape if isinstance(exact, sp.MatrixBase) else ()
    return sp.lambdify(variables, exact, modules=MPMATH_MODULES, cse=True), shape


def _to_float(value) -> float:
    if isinstance(value, mpmath.mpc) or isinstance(value, complex):
        return float(value.real) if value.imag == 0 else float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _evaluate(g, args: list, shape: tuple) -> np.ndarray:
    try:
        value = g(*args)
    except (ZeroDivisionError, ValueError, OverflowError):
        return np.full(shape, np.nan)
    if shape == ():
        return np.array(_to_float(value))
    entries = value.tolist() if hasattr(value, "tolist") else value
    return np.array([[_to_float(v) for v in row] for row in entries]).reshape(shape)


def reference(f: Function, kind: Kind, points: np.ndarray, order: int = 1) -> np.ndarray:
    """The exact `kind` of `f` (order `order` for "derivative") at each point, in float64.

    points: (m,) for "derivative", (m, n) otherwise. The float64 inputs are taken as the exact
    numbers they store, so only the final rounding separates this from the true value."""
    if kind == "hessian":
        order = 2
    g, shape = _compiled(f.expr, f.variables, kind, order)
    primal, primal_shape = _compiled(f.expr, f.variables, "value", 0)
    if kind == "gradient":
        shape = (shape[0],)
    with mpmath.workdps(DIGITS):
        if kind == "derivative":
            args = [[mpmath.mpf(float(x))] for x in points]
        else:
            args = [[mpmath.mpf(float(v)) for v in x] for x in points]
        values = np.stack([_evaluate(g, a, shape) for a in args])
        # Where f itself is undefined (log(−1) in the reals) so is its derivative, even when the
        # derivative's formula (1/x) happens to evaluate.
        defined = [np.all(np.isfinite(_evaluate(primal, a, primal_shape))) for a in args]
    values[~np.array(defined)] = np.nan
    return values
