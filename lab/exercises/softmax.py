"""Softmax and its Jacobian (homework exercise 1.3 / question 1.2.1; lecture "Derivative of Softmax"),
with plain normalization z / Σz for contrast.

Closed forms: for n = 2 the course's [[p1p2, −p1p2], [−p1p2, p1p2]]; in general
∂pᵢ/∂zⱼ = pᵢ(δᵢⱼ − pⱼ), i.e. J = diag(p) − p pᵀ. Softmax is invariant to z + k (adding a constant)
but not to k·z; normalization is the other way round.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from lab.core.arrays import namespace as array_namespace
from lab.core.cases import Case, ClosedForm, Function, symbols
from lab.core.symbolic import LogSumExp

SOURCE = "homework 1, question 1.2.1; lecture 'Derivative of Softmax'"


def softmax(z):
    """pᵢ = exp(zᵢ − max z) / Σⱼ exp(zⱼ − max z): softmax, shifted so that no exp overflows."""
    xp = array_namespace(z)
    e = xp.exp(z - xp.max(z))
    return e / xp.sum(e)


def log_softmax(z):
    """log pᵢ = (zᵢ − max z) − log Σⱼ exp(zⱼ − max z), finite even where pᵢ underflows to 0."""
    xp = array_namespace(z)
    shifted = z - xp.max(z)
    return shifted - xp.log(xp.sum(xp.exp(shifted)))


def naive_softmax(z):
    """exp(zᵢ) / Σⱼ exp(zⱼ) exactly as written: overflows to nan once some zᵢ > 709."""
    xp = array_namespace(z)
    e = xp.exp(z)
    return e / xp.sum(e)


def normalize(z):
    """zᵢ / Σⱼ zⱼ: the 'divide by the total' alternative the lecture contrasts with softmax."""
    xp = array_namespace(z)
    return z / xp.sum(z)


def softmax_expr(z: tuple[sp.Symbol, ...]) -> list[sp.Expr]:
    """[exp(zᵢ − log Σ exp z)]: softmax in a form that differentiates exactly and evaluates stably."""
    lse = LogSumExp(*z)
    return [sp.exp(zi - lse) for zi in z]


def softmax_numpy(z: np.ndarray) -> np.ndarray:
    """Softmax of a float64 vector (the closed forms' p)."""
    return softmax(np.asarray(z, dtype=np.float64))


def jacobian_closed_form(z: np.ndarray) -> np.ndarray:
    """diag(p) − p pᵀ."""
    p = softmax_numpy(z)
    return np.diag(p) - np.outer(p, p)


def jacobian_course_n2(z: np.ndarray) -> np.ndarray:
    """The course's n = 2 answer [[p1p2, −p1p2], [−p1p2, p1p2]]."""
    p1, p2 = softmax_numpy(z)
    return np.array([[p1 * p2, -p1 * p2], [-p1 * p2, p1 * p2]])


def normalize_jacobian(z: np.ndarray) -> np.ndarray:
    """∂(zᵢ/S)/∂zⱼ = (δᵢⱼ S − zᵢ) / S², S = Σ z."""
    s = np.sum(z)
    return (np.eye(len(z)) * s - np.asarray(z)[:, None]) / s**2


def softmax_function(n: int) -> Function:
    z = symbols("z", n)
    return Function(f"softmax n={n}", sp.ImmutableMatrix(softmax_expr(z)), z, softmax)


GENERAL = ClosedForm("diag(p) - p p^T", jacobian_closed_form)


def softmax_case(n: int, points: np.ndarray, label: str = "") -> Case:
    """The Jacobian of softmax for vectors of size n at each row of `points`."""
    forms = (ClosedForm("course n=2", jacobian_course_n2), GENERAL) if n == 2 else (GENERAL,)
    fn = softmax_function(n)
    if label:
        fn = Function(f"{fn.name} {label}", fn.expr, fn.variables, fn.program)
    return Case("softmax", fn, "jacobian", np.asarray(points, dtype=np.float64), closed_forms=forms,
                source=SOURCE)


def normalize_case(points: np.ndarray) -> Case:
    z = symbols("z", points.shape[1])
    total = sp.Add(*z)
    fn = Function(f"normalize n={len(z)}", sp.ImmutableMatrix([zi / total for zi in z]), z, normalize)
    return Case("softmax", fn, "jacobian", np.asarray(points, dtype=np.float64),
                closed_forms=(ClosedForm("(S δij - z_i) / S^2", normalize_jacobian),),
                source="lecture 'What's the difference?'")


COURSE_LOGITS = np.array([[1.0, 2.0], [10.0, 20.0], [11.0, 12.0], [20.0, 30.0], [0.0, 0.0]])


def cases(seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    return [
        softmax_case(2, COURSE_LOGITS),
        softmax_case(8, rng.normal(0.0, 3.0, size=(5, 8))),
        softmax_case(4, rng.uniform(-1000.0, 1000.0, size=(5, 4)), label="(logits up to 1e3)"),
        normalize_case(rng.uniform(0.5, 5.0, size=(5, 3))),
    ]
