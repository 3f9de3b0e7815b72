"""The course's losses (homework exercise 1.3, questions 1.2.2–1.2.4; lecture "KL divergence",
"Cross Entropy"): SE, CE, KL, BCE and L1, with gradients with respect to the probabilities p and to
the logits z (through softmax; through the sigmoid for BCE, whose outputs are independent).

Each loss is written once as an array-API program of (p, y) and once as a SymPy expression; the
through-the-logits versions are derived from those, except where a stable program needs the
log-probabilities directly (CE, KL: log_softmax instead of log(softmax), finite for any logits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from lab.core.arrays import namespace as array_namespace
from lab.core.cases import Case, ClosedForm, Function, symbols
from lab.core.symbolic import exact, xlogy
from lab.exercises.softmax import jacobian_closed_form, log_softmax, softmax, softmax_expr

SOURCE = "homework 1, questions 1.2.2-1.2.4"


def _const(y, like):
    return array_namespace(like).asarray(y)


def se(p, y):
    """SE(y, p) = Σ (pᵢ − yᵢ)²."""
    xp = array_namespace(p)
    return xp.sum((p - _const(y, p)) ** 2)


def ce(p, y):
    """CE(y; p) = −Σ yᵢ log pᵢ."""
    xp = array_namespace(p)
    return -xp.sum(_const(y, p) * xp.log(p))


def _log_y(y: np.ndarray) -> np.ndarray:
    # log yᵢ where yᵢ > 0, and 0 elsewhere: those terms carry the weight yᵢ = 0 anyway.
    return np.log(np.where(y > 0, y, 1.0))


def kl(p, y):
    """KL(y ‖ p) = Σ yᵢ (log yᵢ − log pᵢ), with 0·log 0 = 0."""
    xp = array_namespace(p)
    return xp.sum(_const(y, p) * (_const(_log_y(np.asarray(y)), p) - xp.log(p)))


def bce(p, y):
    """BCE(y, p) = −Σ [yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)], each pᵢ an independent probability."""
    xp = array_namespace(p)
    y = _const(y, p)
    return -xp.sum(y * xp.log(p) + (1 - y) * xp.log(1 - p))


def l1(p, y):
    """L1(y, p) = Σ |pᵢ − yᵢ|."""
    xp = array_namespace(p)
    return xp.sum(xp.abs(p - _const(y, p)))


def ce_of_logits(z, y):
    """CE(y; softmax(z)) = −Σ yᵢ log_softmax(z)ᵢ, stable for logits of any size."""
    xp = array_namespace(z)
    return -xp.sum(_const(y, z) * log_softmax(z))


def kl_of_logits(z, y):
    """KL(y ‖ softmax(z)) through log_softmax."""
    xp = array_namespace(z)
    return xp.sum(_const(y, z) * (_const(_log_y(np.asarray(y)), z) - log_softmax(z)))


def bce_of_logits(z, y):
    """BCE(y, σ(z)) with log σ(z) = −log(1 + e^−z) and log(1 − σ(z)) = −log(1 + e^z)."""
    xp = array_namespace(z)
    y, zero = _const(y, z), xp.zeros_like(z)
    return xp.sum(y * xp.logaddexp(zero, -z) + (1 - y) * xp.logaddexp(zero, z))


def _sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z)))


def _se_grad_z(z, y):
    # Jᵀ·2(p − y) with J = diag(p) − p pᵀ symmetric.
    return jacobian_closed_form(z) @ (2 * (softmax(np.asarray(z)) - y))


def _l1_grad_z(z, y):
    return jacobian_closed_form(z) @ np.sign(softmax(np.asarray(z)) - y)


@dataclass(frozen=True)
class Loss:
    """One loss: its program of (p, y), its SymPy form, and the hand-derived gradients."""

    name: str
    program: Callable
    expr: Callable[[tuple, np.ndarray], sp.Expr]
    grad_p: tuple[str, Callable]
    grad_z: tuple[str, Callable]
    of_logits: Callable | None = None
    link: str = "softmax"
    real_only: str = ""


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("SE", se,
             lambda p, y: sp.Add(*[(pi - exact(yi)) ** 2 for pi, yi in zip(p, y, strict=True)]),
             ("2(p - y)", lambda p, y: 2 * (p - y)),
             ("2 p*((p - y) - <p, p - y>)", _se_grad_z)),
        Loss("CE", ce,
             lambda p, y: -sp.Add(*[xlogy(exact(yi), pi) for pi, yi in zip(p, y, strict=True)]),
             ("-y / p", lambda p, y: -y / p),
             ("p - y", lambda z, y: softmax(np.asarray(z)) - y), of_logits=ce_of_logits),
        Loss("KL", kl,
             # y log y − y log p rather than y log(y/p): SymPy then cancels log(exp(z − LSE)).
             lambda p, y: sp.Add(*[xlogy(exact(yi), exact(yi)) - xlogy(exact(yi), pi)
                                   for pi, yi in zip(p, y, strict=True)]),
             ("-y / p", lambda p, y: -y / p),
             ("p - y", lambda z, y: softmax(np.asarray(z)) - y), of_logits=kl_of_logits),
        Loss("BCE", bce,
             lambda p, y: -sp.Add(*[xlogy(exact(yi), pi) + xlogy(1 - exact(yi), 1 - pi)
                                    for pi, yi in zip(p, y, strict=True)]),
             ("(p - y) / (p(1 - p))", lambda p, y: (p - y) / (p * (1 - p))),
             ("sigmoid(z) - y", lambda z, y: _sigmoid(z) - y), of_logits=bce_of_logits,
             link="sigmoid", real_only="logaddexp is defined for real input only"),
        Loss("L1", l1,
             lambda p, y: sp.Add(*[sp.Abs(pi - exact(yi)) for pi, yi in zip(p, y, strict=True)]),
             ("sign(p - y)", lambda p, y: np.sign(p - y)),
             ("J^T sign(p - y)", _l1_grad_z), real_only="abs() is not complex-analytic"),
    )
}


def _link_expr(loss: Loss, z: tuple) -> list[sp.Expr]:
    if loss.link == "sigmoid":
        return [1 / (1 + sp.exp(-zi)) for zi in z]
    return softmax_expr(z)


def wrt_probabilities(loss: Loss, y: np.ndarray, points: np.ndarray, label: str) -> Case:
    """∇_p loss(y, p) at each row of `points` (probabilities)."""
    y = np.asarray(y, dtype=np.float64)
    p = symbols("p", len(y), positive=True)
    fn = Function(f"{loss.name}(p) {label}", loss.expr(p, y), p,
                  lambda x, y=y: loss.program(x, y), loss.real_only)
    name, rule = loss.grad_p
    form = ClosedForm(name, lambda x, y=y: rule(np.asarray(x), y))
    return Case("losses", fn, "gradient", np.asarray(points, dtype=np.float64),
                closed_forms=(form,), source=SOURCE)


def wrt_logits(loss: Loss, y: np.ndarray, points: np.ndarray, label: str,
               extra_forms: tuple[ClosedForm, ...] = ()) -> Case:
    """∇_z loss(y, link(z)) at each row of `points` (logits)."""
    y = np.asarray(y, dtype=np.float64)
    z = symbols("z", len(y))
    p = symbols("p", len(y), positive=True)
    expr = loss.expr(p, y).subs(dict(zip(p, _link_expr(loss, z), strict=True)))
    if loss.of_logits is not None:
        program = lambda x, y=y: loss.of_logits(x, y)  # noqa: E731
    else:
        program = lambda x, y=y: loss.program(softmax(x), y)  # noqa: E731
    fn = Function(f"{loss.name}({loss.link}(z)) {label}", expr, z, program, loss.real_only)
    name, rule = loss.grad_z
    forms = (ClosedForm(name, lambda x, y=y: rule(np.asarray(x), y)), *extra_forms)
    return Case("losses", fn, "gradient", np.asarray(points, dtype=np.float64),
                closed_forms=forms, source=SOURCE)


def se_two_class_forms(y: np.ndarray) -> tuple[ClosedForm, ...]:
    """dSE/dz for n = 2 as the course writes it: ∂SE/∂z₁ = c·p₁(1 − p₁)(p₁ − y₁), ∂SE/∂z₀ = −∂SE/∂z₁.

    The course's derivation ends with c = 4; its plotting code uses c = 2. SE = 2(p₁ − y₁)² when
    n = 2, so the chain rule gives 4 — the plot shows half the gradient."""

    def form(c):
        def grad(z):
            p1 = softmax(np.asarray(z, dtype=np.float64))[1]
            g = c * p1 * (1 - p1) * (p1 - y[1])
            return np.array([-g, g])

        return grad

    return (
        ClosedForm("course derivation 4 p1(1-p1)(p1-y1)", form(4.0)),
        ClosedForm("course plot 2 p1(1-p1)(p1-y1)", form(2.0),
                   erratum="the plotting code's constant 2 is half the derived 4"),
    )


def ce_hessian_case(y: np.ndarray, points: np.ndarray) -> Case:
    """∇²_z CE(y; softmax(z)) = diag(p) − p pᵀ whenever Σy = 1 — the softmax Jacobian again."""
    base = wrt_logits(LOSSES["CE"], y, points, "")
    fn = Function(f"CE(softmax(z)) hessian n={len(y)}", base.function.expr, base.function.variables,
                  base.function.program)
    return Case("losses", fn, "hessian", base.points,
                closed_forms=(ClosedForm("diag(p) - p p^T", jacobian_closed_form, order=2),),
                source=SOURCE)


def cases(seed: int = 0, n: int = 3) -> list[Case]:
    rng = np.random.default_rng(seed)
    targets = {"y soft": rng.dirichlet(np.ones(n)), "y one-hot": np.eye(n)[1]}
    # Probabilities away from 0 and 1: near them log p bends so sharply that fixed-step finite
    # differences lose digits (the finite-differences report shows how many).
    simplex = np.array([softmax(row) for row in rng.normal(0.0, 0.4, size=(4, n))])
    independent = rng.uniform(0.2, 0.8, size=(4, n))
    logits = rng.normal(0.0, 2.0, size=(4, n))
    out = []
    for loss in LOSSES.values():
        for label, y in targets.items():
            p_points = independent if loss.link == "sigmoid" else simplex
            out.append(wrt_probabilities(loss, y, p_points, label))
            out.append(wrt_logits(loss, y, logits, label))
    y2 = np.array([0.1, 0.9])
    out.append(wrt_logits(LOSSES["SE"], y2, rng.normal(0.0, 2.0, size=(5, 2)), "n=2 y1=0.9",
                          extra_forms=se_two_class_forms(y2)))
    out.append(ce_hessian_case(targets["y soft"], logits))
    return out
