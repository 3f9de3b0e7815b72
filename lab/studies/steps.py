"""How the error of finite differences depends on the step h: truncation error falls as hᵃ while
rounding error grows as ε/hᵏ, so error against h is a U (a V on log axes). Complex step has no
subtraction and so no rounding branch: it keeps improving down to h = 1e−16 and beyond."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from lab.backends.finite import central_offsets, five_point_offsets, forward_offsets, stencil
from lab.core.arrays import namespace as array_namespace
from lab.core.cases import Function
from lab.core.compare import rho
from lab.core.reference import reference
from lab.exercises.polynomial import X, course_polynomial
from lab.exercises.softmax import softmax_function

STEPS = 10.0 ** -np.arange(1, 17)
STENCILS = {"forward O(h)": forward_offsets, "central O(h²)": central_offsets,
            "5-point O(h⁴)": five_point_offsets}


@dataclass
class Sweep:
    """Errors against h for one test derivative, per method."""

    title: str
    errors: dict[str, np.ndarray]

    def best(self) -> dict[str, tuple[float, float]]:
        """(optimal h, error there) per method."""
        return {name: (float(STEPS[int(np.argmin(e))]), float(np.min(e)))
                for name, e in self.errors.items()}


def _sweep(title: str, g, x0: float, order: int, exact: float) -> Sweep:
    errors = {}
    with np.errstate(all="ignore"):
        for name, offsets in STENCILS.items():
            values = np.array([stencil(g, np.float64(x0), order, offsets(order), (x0 + h) - x0)
                               for h in STEPS])
            errors[name] = rho(np.full_like(values, exact), values)
        if order == 1:
            values = np.array([np.imag(g(np.asarray(x0 + 1j * h))) / h for h in STEPS])
            errors["complex step"] = rho(np.full_like(values, exact), values)
    return Sweep(title, errors)


def _exp(x):
    return array_namespace(np.asarray(x)).exp(x)


def sweeps() -> list[Sweep]:
    """exp′ at 1; p0⁽ᵏ⁾ at 1.3 for k = 1…4; ∂softmax(z)₀/∂z₁ at z = (1, 2, 0.5)."""
    out = []
    f = Function("exp", sp.exp(X), (X,), _exp)
    out.append(_sweep("exp'(x) at x = 1", _exp, 1.0, 1,
                      float(reference(f, "derivative", np.array([1.0]), 1).values[0])))
    p0 = Function("p0", sp.expand(course_polynomial(X)), (X,), course_polynomial)
    for k in (1, 2, 3, 4):
        exact = float(reference(p0, "derivative", np.array([1.3]), k).values[0])
        out.append(_sweep(f"p0 order {k} at x = 1.3", course_polynomial, 1.3, k, exact))
    sm = softmax_function(3)
    z = np.array([1.0, 2.0, 0.5])
    exact = float(reference(sm, "jacobian", z[None]).values[0][0, 1])

    def p0_of_z1(t):
        return sm.program(np.array([z[0], t, z[2]]))[0]

    out.append(_sweep("∂softmax(z)₀/∂z₁ at z = (1, 2, 0.5)", p0_of_z1, 2.0, 1, exact))
    return out
