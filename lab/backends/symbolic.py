"""SymPy as its users use it: differentiate the expression with sp.diff, compile the derivative to
numpy with lambdify, evaluate in float64.

It shares nothing with the reference but the expression: the reference differentiates the branch
a function follows at each point and encloses the value (`lab.core.reference`); this row
differentiates the expression as written, once, and evaluates the formula in float64.

Two things SymPy must be told, as a user would tell it: d sign(u)/dv, which SymPy leaves
unevaluated when it cannot tell that u is real (sign(log x)), is 2·δ(u)·∂u/∂v; and a constant
beyond float64 (the point 10³⁰⁸ moved along a direction of 10³⁰⁸) is printed as the float it
becomes, ±inf, rather than as a Python integer that numpy cannot convert.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from lab.backends.base import Method
from lab.core.cases import Function
from lab.core.symbolic import NUMPY_MODULES

FLOAT_MAX = float(np.finfo(np.float64).max)


def _sign_rule(expr):
    """expr with every unevaluated d sign(u)/dv written out as 2·δ(u)·∂u/∂v."""
    return expr.replace(
        lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, sp.sign)
        and len(e.variables) == 1,
        lambda e: 2 * sp.DiracDelta(e.expr.args[0]) * sp.diff(e.expr.args[0], e.variables[0]))


def derivative_of(expr, variables: tuple, kind: str, order: int = 1):
    """SymPy's d^k f/dx^k ("derivative"), ∇f ("gradient"), ∂fᵢ/∂xⱼ ("jacobian") or ∇²f
    ("hessian"), as an expression or matrix."""
    if kind == "derivative":
        for _ in range(order):
            expr = _sign_rule(sp.diff(expr, variables[0]))
        return expr
    if kind == "gradient":
        return sp.Matrix([_sign_rule(sp.diff(expr, v)) for v in variables])
    if kind == "jacobian":
        return _sign_rule(sp.Matrix(expr).jacobian(variables))
    if kind == "hessian":
        return _sign_rule(sp.hessian(expr, variables))
    raise ValueError(f"unknown kind {kind!r}")


def _as_floats(expr):
    """expr with every constant beyond float64's range replaced by the float it rounds to."""
    huge = {a: sp.Float(np.inf if a > 0 else -np.inf) for a in expr.atoms(sp.Rational)
            if abs(a) > FLOAT_MAX}
    return expr.xreplace(huge) if huge else expr


@functools.lru_cache(maxsize=512)
def compiled(expr, variables: tuple, kind: str, order: int):
    """lambdify(variables, SymPy's derivative) for numpy; shared subexpressions computed once."""
    derivative = derivative_of(expr, variables, kind, order)
    if isinstance(derivative, sp.MatrixBase):
        derivative = derivative.applyfunc(_as_floats)
    else:
        derivative = _as_floats(derivative)
    return sp.lambdify(variables, derivative, modules=NUMPY_MODULES, cse=True)


class SymPyLambdify(Method):
    backend, variant, family = "sympy", "lambdify", "exact"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        g = compiled(f.expr, f.variables, "derivative", order)
        with np.errstate(all="ignore"):  # overflow to inf and 0·inf are values here, not errors
            return np.broadcast_to(np.asarray(g(x), dtype=np.float64), x.shape)

    def _at_point(self, f: Function, x: np.ndarray, kind: str) -> np.ndarray:
        g = compiled(f.expr, f.variables, kind, 2 if kind == "hessian" else 1)
        with np.errstate(all="ignore"):
            return np.asarray(g(*x), dtype=np.float64)

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self._at_point(f, x, "gradient").reshape(-1)

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self._at_point(f, x, "jacobian")

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self._at_point(f, x, "hessian")


METHODS = (SymPyLambdify(),)
