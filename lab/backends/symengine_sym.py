"""SymEngine, the C++ symbolic core: the exact derivative taken by `symengine.diff` (a Matrix
`jacobian` for vectors), compiled to float64 by `symengine.Lambdify` with common subexpressions
eliminated, and evaluated at all points in one call.

The exercise's SymPy expression is carried over node by node (`lab.backends.translate`), softmax's
LogSumExp as c + log Σ exp(zᵢ − c) with c = max zᵢ at each point. A function SymEngine lacks is
`Unsupported` with its name; so is a derivative SymEngine leaves unevaluated — it does not
differentiate abs() (|u| has no complex derivative), where SymPy gives sign(u).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import symengine as se
import sympy as sp

from lab.backends.base import Vectorized
from lab.backends.translate import shift_function, table, translate, without_logsumexp
from lab.core.cases import Function, order_of
from lab.errors import Unsupported

NAMES = {"abs": "Abs"}  # SymEngine's name where it is not the array API's
TABLE = table(lambda name: getattr(se, NAMES.get(name, name), None))


def to_symengine(expr) -> se.Basic | se.DenseMatrix:
    """The SymPy expression (or matrix) in SymEngine, constants kept exact."""
    if isinstance(expr, sp.MatrixBase):
        return se.Matrix(expr.shape[0], expr.shape[1],
                         [translate(e, se.sympify, TABLE, "SymEngine") for e in expr])
    return translate(expr, se.sympify, TABLE, "SymEngine")


def derivative_of(expr, variables: tuple, kind: str, order: int) -> se.DenseMatrix:
    """SymEngine's d^k f/dx^k, ∇f, ∂fᵢ/∂xⱼ or ∇²f of the SymEngine expression, as a Matrix."""
    xs = se.Matrix([se.Symbol(v.name) for v in variables])
    if kind == "derivative":
        return se.Matrix([se.diff(expr, xs[0], order)])
    if kind == "jacobian":
        return expr.jacobian(xs)
    gradient = se.Matrix([se.diff(expr, v) for v in xs])
    return gradient if kind == "gradient" else gradient.jacobian(xs)


def _unevaluated(matrix: se.DenseMatrix) -> None:
    for entry in matrix:
        left = sorted(entry.atoms(se.Derivative) | entry.atoms(se.Subs), key=str)
        if left:
            name = type(left[0].args[0]).__name__
            raise Unsupported(f"SymEngine has no derivative rule for {name}(): it leaves "
                              f"d {name}(u)/du unevaluated")


@functools.lru_cache(maxsize=512)
def compiled(expr, variables: tuple, kind: str, order: int) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy function of the points — shape (m,) for kind "derivative", else (m, n) — giving the
    exact `kind` of expr at each, shape (m, …) float64: SymEngine's derivative compiled by
    Lambdify (real, common subexpressions eliminated)."""
    plain, shifts = without_logsumexp(expr)
    result = derivative_of(to_symengine(plain), variables, kind, order)
    _unevaluated(result)
    # SymEngine symbols by name, as the translation of the expression names them.
    arguments = [se.Symbol(v.name) for v in (*variables, *(s.symbol for s in shifts))]
    callback = se.Lambdify(arguments, result, real=True, cse=True)
    shape = {"derivative": (), "gradient": (len(variables),)}.get(kind, result.shape)
    shift = shift_function(shifts, variables)

    def evaluate(points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
        if shifts:
            points = np.hstack([points, shift(points)])
        return np.asarray(callback(points), dtype=np.float64).reshape(len(points), *shape)

    return evaluate


class SymEngineLambdify(Vectorized):
    backend, variant, family = "symengine", "lambdify", "exact"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        return compiled(f.expr, f.variables, "derivative", order)(x).reshape(np.shape(x))

    def at_points(self, kind, f: Function, points: np.ndarray) -> np.ndarray:
        return compiled(f.expr, f.variables, kind, order_of(kind))(points)


METHODS = (SymEngineLambdify(),)
