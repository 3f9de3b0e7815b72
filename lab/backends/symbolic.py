"""SymPy: differentiate the exact expression, then compile it to numpy with lambdify."""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from lab.backends.base import Method
from lab.core.cases import Function
from lab.core.symbolic import NUMPY_MODULES, differentiate


@functools.lru_cache(maxsize=512)
def compiled(expr, variables: tuple, kind: str, order: int):
    """lambdify(variables, exact derivative) for numpy; shared subexpressions computed once."""
    return sp.lambdify(variables, differentiate(expr, variables, kind, order),
                       modules=NUMPY_MODULES, cse=True)


class SymPyLambdify(Method):
    backend, variant, family = "sympy", "lambdify", "exact"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        g = compiled(f.expr, f.variables, "derivative", order)
        return np.broadcast_to(np.asarray(g(x), dtype=np.float64), x.shape)

    def _at_point(self, f: Function, x: np.ndarray, kind: str) -> np.ndarray:
        g = compiled(f.expr, f.variables, kind, 2 if kind == "hessian" else 1)
        return np.asarray(g(*x), dtype=np.float64)

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self._at_point(f, x, "gradient").reshape(-1)

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self._at_point(f, x, "jacobian")

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self._at_point(f, x, "hessian")


METHODS = (SymPyLambdify(),)
