"""SymPy pieces the exercises share, and how each evaluates under numpy.

The kinks a derivative can contain — sign(u), Heaviside(u), DiracDelta(u) — evaluate under numpy
to their values away from u = 0 and to nan (Heaviside, DiracDelta) at u = 0. The exact reference
never evaluates them: it differentiates the branch a function follows at each point, deciding the
branch exactly (`lab.core.kinks`), and encloses the value (`lab.core.enclosure`).

`expm1` and `log1p` are SymPy's (sympy.codegen), which numpy, JAX and mpmath print as their own
accurate expm1 and log1p; SymPy's torch printer does not know them, so they say how to print
themselves there.

`LogSumExp(z0, ..., zn)` = log Σ exp(zi) is kept as one node so that softmax can be written
exp(zi − LogSumExp(z)): differentiating it stays exact, and evaluating it in float64 stays finite
for logits of any size (numpy gets the max-shifted formula).
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.codegen import cfunctions
from sympy.core.logic import fuzzy_and


class LogSumExp(sp.Function):
    """log Σ_i exp(z_i), with ∂/∂z_k = exp(z_k − LogSumExp(z)) = softmax(z)_k."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.exp(self.args[argindex - 1] - self)

    def _eval_is_real(self) -> bool | None:
        return fuzzy_and(a.is_real for a in self.args)

    def _eval_rewrite_as_exp(self, *args: sp.Expr, **kwargs) -> sp.Expr:
        return sp.log(sp.Add(*[sp.exp(a) for a in args]))


def _torch_call(name: str):
    def print_for_torch(self, printer) -> str:
        return f"{printer._module_format(f'torch.{name}')}({printer._print(self.args[0])})"

    return print_for_torch


# The class names must stay "expm1" and "log1p": printers look functions up by class name.
expm1 = type("expm1", (cfunctions.expm1,), {"__doc__": "exp(u) − 1, accurate for small u.",
                                            "_torchcode": _torch_call("expm1")})
log1p = type("log1p", (cfunctions.log1p,), {"__doc__": "log(1 + u), accurate for small u.",
                                            "_torchcode": _torch_call("log1p")})


def _numpy_logsumexp(*z):
    stacked = np.stack(np.broadcast_arrays(*z))
    top = np.max(stacked, axis=0)
    return top + np.log(np.sum(np.exp(stacked - top), axis=0))


class NoDerivative(ArithmeticError):
    """The derivative does not exist at the point: the one-sided derivatives at a kink differ,
    or the derivative is infinite there."""


def _numpy_dirac_delta(u, *order):
    u = np.asarray(u, dtype=np.float64)
    return np.where(u == 0, np.nan, 0.0)


def numpy_erf(u):
    """The error function elementwise (numpy has none; SciPy's is imported when first used)."""
    from scipy.special import erf

    return erf(u)


NUMPY_MODULES = [{"LogSumExp": _numpy_logsumexp, "DiracDelta": _numpy_dirac_delta,
                  "Heaviside": lambda u, *at_zero: np.heaviside(u, np.nan), "erf": numpy_erf},
                 "numpy"]


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
        for _ in range(order):
            expr = _sign_rule(sp.diff(expr, variables[0]))
        return expr
    if kind == "gradient":
        return sp.ImmutableMatrix([_sign_rule(sp.diff(expr, v)) for v in variables])
    if kind == "jacobian":
        return _sign_rule(sp.ImmutableMatrix(expr.jacobian(variables)))
    if kind == "hessian":
        return _sign_rule(sp.ImmutableMatrix(sp.hessian(expr, variables)))
    raise ValueError(f"unknown kind {kind!r}")


def _sign_rule(expr):
    """expr with d sign(u)/dv written out as 2·δ(u)·∂u/∂v. SymPy leaves it unevaluated when it
    cannot tell that u is real (sign(log x)), and an unevaluated Derivative cannot be evaluated."""
    return expr.replace(
        lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, sp.sign)
        and len(e.variables) == 1,
        lambda e: 2 * sp.DiracDelta(e.expr.args[0]) * sp.diff(e.expr.args[0], e.variables[0]))
