"""Sweep family `loss_gradients`: the gradient of the CE and SE losses of a batch w.r.t. its logits
(one point: the batch × classes matrix), by every registry method that takes a matrix point and the
closed forms p − y and Jᵀ·2(p − y), against the loss itself in each method's library."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from lab.bench.runner import Problem, Sweep
from lab.core.arrays import namespace
from lab.core.cases import ClosedForm, Function

# The symbolic and numerical methods take a vector point (the cross-check runs them on the losses'
# per-example cases); a batch is a matrix of logits.
MATRIX = "the point is a batch × classes matrix of logits and this method takes a vector point"
SKIP = {label: MATRIX for label in ("sympy.lambdify", "symengine.lambdify", "casadi.sx",
                                    "casadi.codegen", "numdifftools.richardson", "finite.forward",
                                    "finite.central", "finite.5-point", "finite.complex_step",
                                    "finite.adaptive")}


def log_softmax_rows(z):
    """log softmax of each row, shifted by the row's maximum so that no exp overflows."""
    xp = namespace(z)
    shifted = z - xp.max(z, axis=-1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))


def batch_ce(y: np.ndarray) -> Callable:
    """z ↦ Σ over the batch of −Σᵢ yᵢ log softmax(z)ᵢ, for the labels y."""

    def ce(z):
        xp = namespace(z)
        return -xp.sum(xp.asarray(y) * log_softmax_rows(z))

    return ce


def batch_se(y: np.ndarray) -> Callable:
    """z ↦ Σ over the batch of Σᵢ (softmax(z)ᵢ − yᵢ)², for the labels y."""

    def se(z):
        xp = namespace(z)
        return xp.sum((xp.exp(log_softmax_rows(z)) - xp.asarray(y)) ** 2)

    return se


def closed_ce(y: np.ndarray) -> ClosedForm:
    """p − y."""
    return ClosedForm("p − y", lambda z: np.exp(log_softmax_rows(z)) - y)


def closed_se(y: np.ndarray) -> ClosedForm:
    """Jᵀ·2(p − y) = p ⊙ (g − ⟨p, g⟩), g = 2(p − y), row by row."""

    def gradient(z):
        p = np.exp(log_softmax_rows(z))
        g = 2 * (p - y)
        return p * (g - np.sum(p * g, axis=-1, keepdims=True))

    return ClosedForm("Jᵀ·2(p − y)", gradient)


def classes(batch: int) -> int:
    """The course's 10-class example at batch 10; 1000 classes (ImageNet-sized) from batch 100."""
    return 1000 if batch >= 100 else 10


def loss_data(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Seeded logits and one-hot labels of the given (batch, classes) shape."""
    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 2.0, shape)
    y = np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
    return z, y


@functools.lru_cache(maxsize=16)
def loss_at(name: str, batch: int) -> tuple[Function, ClosedForm, np.ndarray]:
    """(the loss as a Function of the logits, its closed form, the point) at `batch`."""
    z, y = loss_data((batch, classes(batch)))
    program, form = (batch_ce(y), closed_ce(y)) if name == "CE" else (batch_se(y), closed_se(y))
    return Function(f"{name} batch {batch}", None, (), program), form, z[None]


RECORDING = "tape recording pass"


def recording_pass(function: Function, point: np.ndarray) -> Callable[[], object]:
    """The tape's forward pass alone, recording what its backward pass will read: the tape's
    gradient less this is its backward pass."""
    from lab.backends.tape import Var

    return lambda: function.program(Var(point))


def problem(name: str) -> Callable[[int], Problem]:
    """The gradient of loss `name` ("CE" or "SE") at a batch."""

    def at(batch: int) -> Problem:
        function, form, point = loss_at(name, batch)
        return Problem("gradient", function, point, 1, (form,), group=f"{classes(batch)} classes",
                       baselines=((RECORDING, recording_pass(function, point[0])),))

    return at


def family(plan: dict) -> list[tuple[Sweep, list[int]]]:
    """The CE and SE sweeps at the plan's `sizes` (batch)."""
    return [(Sweep(f"{loss.lower()}_gradient", "loss_gradients",
                   f"{loss} gradient w.r.t. the logits of a batch (10 classes at batch 10, 1000 "
                   "classes from batch 100)", "batch", problem(loss), skip=dict(SKIP),
                   cap_s=plan.get("cap_s", 10.0)), list(plan["sizes"]))
            for loss in ("CE", "SE")]
