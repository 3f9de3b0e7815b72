"""What an exercise is: a function given once (exact expression + executable program), what to
differentiate, where, and the closed forms the course derives by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import sympy as sp

Kind = Literal["derivative", "gradient", "jacobian", "hessian"]


@dataclass(frozen=True, eq=False)
class Function:
    """One mathematical function in two forms that must agree.

    expr: the SymPy expression (a scalar, or an ImmutableMatrix column for vector output) — the
        single source for the symbolic backend and the exact reference.
    program: the same function as a user would code it, against the array API
        (`array_api_compat.array_namespace(x)`), so numpy, torch, jax and the tape all run it.
    real_only: why complex-step differentiation is not valid for the program (empty if it is).
    domain: conditions the function as written imposes (`Condition`s), which SymPy's automatic
        simplification may have erased from `expr`: exp(log(x)) is stored as x, but is undefined
        for x ≤ 0.
    """

    name: str
    expr: sp.Expr | sp.ImmutableMatrix
    variables: tuple[sp.Symbol, ...]
    program: Callable
    real_only: str = ""
    domain: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Condition:
    """`expr` must be positive, nonnegative, nonzero or in [−1, 1] (`kind`) for the function as
    written to be defined; `what` names the operation, for messages ("log", "division")."""

    kind: Literal["positive", "nonnegative", "nonzero", "unit"]
    expr: sp.Expr
    what: str

    def holds(self, value) -> bool:
        """Whether the condition holds for the (real, exactly evaluated) value of `expr`."""
        if self.kind == "positive":
            return value > 0
        if self.kind == "nonnegative":
            return value >= 0
        if self.kind == "nonzero":
            return value != 0
        return -1 <= value <= 1


@dataclass(frozen=True)
class ClosedForm:
    """A hand-derived formula for the derivative, checked like any backend.

    compute(x) returns the derivative at one point (or, for kind "derivative", at every point).
    erratum: set when the formula is known to be wrong; says what the course got wrong.
    """

    name: str
    compute: Callable[[np.ndarray], np.ndarray]
    order: int = 1
    erratum: str = ""

    def values_at(self, case: Case) -> np.ndarray:
        """The formula at every point of `case`, stacked as a method's values are."""
        with np.errstate(all="ignore"):
            if case.kind == "derivative":
                return np.broadcast_to(np.asarray(self.compute(case.points), dtype=np.float64),
                                       case.points.shape)
            return np.stack([np.asarray(self.compute(x), dtype=np.float64) for x in case.points])


@dataclass(frozen=True, eq=False)
class Case:
    """A function, what to compute of it (`kind`, `orders`) and at which points.

    points: shape (m,) for kind "derivative" (f maps R -> R elementwise), else (m, n).
    tol_scale: factor on every tolerance, for badly conditioned cases (e.g. high-degree polynomials).
    """

    exercise: str
    function: Function
    kind: Kind
    points: np.ndarray
    orders: tuple[int, ...] = (1,)
    closed_forms: tuple[ClosedForm, ...] = ()
    source: str = ""
    tol_scale: float = 1.0

    @property
    def name(self) -> str:
        return self.function.name


def order_of(kind: Kind, order: int = 1) -> int:
    """The derivative order a kind computes: gradient/jacobian 1, hessian 2, derivative `order`."""
    return {"gradient": 1, "jacobian": 1, "hessian": 2}.get(kind, order)


def symbols(prefix: str, n: int, **assumptions) -> tuple[sp.Symbol, ...]:
    """n real SymPy symbols prefix0 … prefix{n-1}."""
    return tuple(sp.symbols(f"{prefix}0:{n}", real=True, **assumptions))
