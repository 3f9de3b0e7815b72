"""The interface every way of differentiating implements.

A `Method` is one backend in one variant (e.g. finite differences, central stencil). It computes
from a `Function` (exact expression + array-API program) one of:
  derivative(f, x, k)  d^k f/dx^k at every point of the 1-D array x (f maps R -> R elementwise)
  gradient(f, x)       ∇f(x) ∈ Rⁿ at one point x ∈ Rⁿ
  jacobian(f, x)       J ∈ R^(m×n), Jᵢⱼ = ∂fᵢ/∂xⱼ at one point
  hessian(f, x)        ∇²f(x) ∈ R^(n×n) at one point
as float64 numpy arrays, or raises `Unsupported` saying why it cannot.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from lab.exercises.base import Function, Kind

Family = Literal["exact", "ad", "numerical"]
EPS = float(np.finfo(np.float64).eps)

# Exact and AD results differ from the truth by rounding alone: a few hundred ulps at most.
ROUNDING_TOLERANCE = 1e-13


class Unsupported(Exception):
    """The method cannot compute this derivative; the message says why."""


class Method:
    """One way of differentiating. Subclasses override what they support."""

    backend: str = ""
    variant: str = ""
    family: Family = "ad"

    @property
    def label(self) -> str:
        return f"{self.backend}.{self.variant}"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        raise Unsupported(f"{self.label} does not compute k-th derivatives")

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        raise Unsupported(f"{self.label} does not compute gradients")

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        raise Unsupported(f"{self.label} does not compute Jacobians")

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        raise Unsupported(f"{self.label} does not compute Hessians")

    def at_points(self, kind: Kind, f: Function, points: np.ndarray) -> np.ndarray:
        """`kind` ("gradient", "jacobian", "hessian") at each row of `points`, stacked.
        Backends that vectorize over points (vmap) override this."""
        one = getattr(self, kind)
        return np.stack([np.asarray(one(f, x), dtype=np.float64) for x in points])

    def tolerance(self, order: int) -> float:
        """The largest error ρ this method should show at derivative order `order`."""
        return ROUNDING_TOLERANCE

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}>"


def compute(method: Method, kind: Kind, f: Function, points: np.ndarray, order: int) -> np.ndarray:
    """Run `method` for `kind` at every point: shape (m,) for derivatives, (m, …) otherwise."""
    if kind == "derivative":
        return np.asarray(method.derivative(f, points, order), dtype=np.float64)
    return np.asarray(method.at_points(kind, f, points), dtype=np.float64)
