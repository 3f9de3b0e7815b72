"""The interface every way of differentiating implements.

A `Method` is one backend in one variant (e.g. finite differences, central stencil). It computes
from a `Function` (exact expression + array-API program) one of:
  derivative(f, x, k)  d^k f/dx^k at every point of the 1-D array x (f maps R -> R elementwise)
  gradient(f, x)       ∇f(x) ∈ Rⁿ at one point x ∈ Rⁿ
  jacobian(f, x)       J ∈ R^(m×n), Jᵢⱼ = ∂fᵢ/∂xⱼ at one point
  hessian(f, x)        ∇²f(x) ∈ R^(n×n) at one point
as float64 numpy arrays (or an `Estimated` array with the method's own error estimate), or raises
`Unsupported` saying why it cannot. `expected_error` says how close to the exact value the method
should come at each value (the tolerance policy is in `lab.core.compare`).

`prepare(kind, f, points, order)` hands out that computation as a callable (`Prepared`): what
`compute` runs for the cross-check, and what the benchmarks time. Its first call compiles or traces
(jit, torch.compile, tf.function, lambdify, generated C); later calls reuse what it built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from lab.core.cases import Function, Kind
from lab.core.compare import ROUNDING, Policy
from lab.core.reference import Reference
from lab.errors import Unsupported

Family = Literal["exact", "ad", "numerical"]
EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Estimated:
    """Values with the method's own estimate of their absolute error (same shape)."""

    values: np.ndarray
    error: np.ndarray


class Method:
    """One way of differentiating. Subclasses override what they support."""

    backend: str = ""
    variant: str = ""
    family: Family = "ad"
    # Whether the first call compiles or traces (jit, torch.compile, tf.function, generated C): a
    # worker then runs it twice, timing the first call as the compile phase.
    compiles: bool = False

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

    def at_points(self, kind: Kind, f: Function, points: np.ndarray) -> np.ndarray | Estimated:
        """`kind` ("gradient", "jacobian", "hessian") at each row of `points`, stacked.
        Backends that vectorize over points (vmap) override this."""
        results = [getattr(self, kind)(f, x) for x in points]
        if isinstance(results[0], Estimated):
            return Estimated(np.stack([r.values for r in results]), np.stack([r.error for r in results]))
        return np.stack([np.asarray(r, dtype=np.float64) for r in results])

    def prepare(self, kind: Kind, f: Function, points: np.ndarray, order: int = 1) -> Prepared:
        """The call computing `kind` of f at every point (order `order` for derivatives): exactly
        what `compute` runs. Call it once to compile or trace; time the calls after that."""
        return Prepared(self, kind, f, points, order)

    def policy(self, order: int) -> Policy:
        """How close to the exact derivative of order `order` this method should come: rounding of
        its inputs (ε·κ) for exact and AD methods, or its own estimate when it gives one."""
        return ROUNDING

    def expected_error(self, order: int, ref: Reference, estimate: np.ndarray | None = None) -> np.ndarray:
        """The error (in units of ρ) this method should reach at each value of `ref`."""
        return self.policy(order).expected(ref, estimate)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}>"


class Vectorized(Method):
    """A method whose `at_points` computes every point in one call: one point is a batch of one."""

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self.at_points("gradient", f, np.asarray(x)[None])[0]

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self.at_points("jacobian", f, np.asarray(x)[None])[0]

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self.at_points("hessian", f, np.asarray(x)[None])[0]


@dataclass(frozen=True, eq=False)
class Prepared:
    """`method` computing `kind` of `function` at `points`, ready to call: the unit the cross-check
    validates and the benchmarks time. Calling it returns the method's raw result (an array of its
    library's kind or an `Estimated`); `compute` turns that into float64 numpy arrays."""

    method: Method
    kind: Kind
    function: Function
    points: np.ndarray
    order: int = 1

    def __call__(self) -> np.ndarray | Estimated:
        if self.kind == "derivative":
            return self.method.derivative(self.function, self.points, self.order)
        return self.method.at_points(self.kind, self.function, self.points)

    @property
    def label(self) -> str:
        """The method's registry label ("torch.func.jacrev")."""
        return self.method.label


def compute(method: Method, kind: Kind, f: Function, points: np.ndarray,
            order: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Run `method` for `kind` at every point: (values, its error estimate or None); values have
    shape (m,) for derivatives, (m, …) otherwise."""
    result = method.prepare(kind, f, points, order)()
    if isinstance(result, Estimated):
        return np.asarray(result.values, dtype=np.float64), np.asarray(result.error, dtype=np.float64)
    return np.asarray(result, dtype=np.float64), None
