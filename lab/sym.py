"""SymPy pieces the exercises share, and how each evaluates under numpy and mpmath.

`LogSumExp(z0, ..., zn)` = log Σ exp(zi) is kept as one node so that softmax can be written
exp(zi − LogSumExp(z)): differentiating it stays exact, and evaluating it in float64 stays finite
for logits of any size (numpy gets the max-shifted formula; mpmath has no overflow at all).
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp
from sympy.core.logic import fuzzy_and


class LogSumExp(sp.Function):
    """log Σ_i exp(z_i), with ∂/∂z_k = exp(z_k − LogSumExp(z)) = softmax(z)_k."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.exp(self.args[argindex - 1] - self)

    def _eval_is_real(self) -> bool | None:
        return fuzzy_and(a.is_real for a in self.args)

    def _eval_rewrite_as_exp(self, *args: sp.Expr, **kwargs) -> sp.Expr:
        return sp.log(sp.Add(*[sp.exp(a) for a in args]))


def _numpy_logsumexp(*z):
    stacked = np.stack(np.broadcast_arrays(*z))
    top = np.max(stacked, axis=0)
    return top + np.log(np.sum(np.exp(stacked - top), axis=0))


def _mpmath_logsumexp(*z):
    return mpmath.log(mpmath.fsum(mpmath.exp(v) for v in z))


NUMPY_MODULES = [{"LogSumExp": _numpy_logsumexp}, "numpy"]
MPMATH_MODULES = [{"LogSumExp": _mpmath_logsumexp}, "mpmath"]


def exact(value: float) -> sp.Rational:
    """The float64 `value` as the exact rational number it stores."""
    return sp.Rational(float(value))


def xlogy(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a·log(b) with the convention 0·log(anything) = 0 (the term is absent)."""
    return sp.S.Zero if a == 0 else a * sp.log(b)


@functools.lru_cache(maxsize=512)
def differentiate(expr, variables: tuple, kind: str, order: int = 1):
    """The exact derivative SymPy gives: d^k f/dx^k ("derivative"), ∇f ("gradient"),
    ∂fᵢ/∂xⱼ ("jacobian") or ∇²f ("hessian"), as an expression or ImmutableMatrix."""
    if kind == "derivative":
        return sp.diff(expr, variables[0], order)
    if kind == "gradient":
        return sp.ImmutableMatrix([sp.diff(expr, v) for v in variables])
    if kind == "jacobian":
        return sp.ImmutableMatrix(expr.jacobian(variables))
    if kind == "hessian":
        return sp.ImmutableMatrix(sp.hessian(expr, variables))
    raise ValueError(f"unknown kind {kind!r}")
