"""PyTorch: torch.autograd (nested `grad` with create_graph, as the course does it) and
torch.func (composable jacrev / jacfwd / hessian, vmapped over points)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import func as tf

from lab.backends.base import Method
from lab.core.cases import Function


def tensor(x: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
    """A float64 CPU tensor holding a copy of x."""
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A float64 numpy copy; `+ 0` turns the ZeroTensor autograd returns for a derivative that is
    identically zero (the second derivative of |x|) into an ordinary one."""
    return (t.detach() + 0).cpu().numpy().astype(np.float64)


class Autograd(Method):
    """torch.autograd: k-th derivatives by differentiating the (k−1)-th again (create_graph=True);
    the sum trick ∂(Σᵢ f(xᵢ))/∂xᵢ = f'(xᵢ) gives every point's derivative in one backward pass."""

    backend, variant = "torch", "autograd"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        t = tensor(x, requires_grad=True)
        d = f.program(t)
        for _ in range(order):
            if not d.requires_grad:  # the previous derivative was constant: the next one is 0
                return np.zeros_like(x)
            (d,) = torch.autograd.grad(d.sum(), t, create_graph=True, materialize_grads=True)
        return to_numpy(d)

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        t = tensor(x, requires_grad=True)
        (g,) = torch.autograd.grad(f.program(t), t)
        return to_numpy(g)

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(torch.autograd.functional.jacobian(f.program, tensor(x)))

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(torch.autograd.functional.hessian(f.program, tensor(x)))


class Func(Method):
    """torch.func in reverse mode (jacrev) or forward mode (jacfwd); derivatives of order k are
    the transform applied k times to the scalar function, then vmapped over the points."""

    backend = "torch"

    def __init__(self, mode: str):
        self.variant = f"func.{mode}"
        self.transform: Callable = tf.jacrev if mode == "jacrev" else tf.jacfwd

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        g = f.program
        for _ in range(order):
            g = self.transform(g)
        return to_numpy(tf.vmap(g)(tensor(x)))

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(self.transform(f.program)(tensor(x)))

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(self.transform(f.program)(tensor(x)))

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        # jacrev: reverse over reverse; jacfwd: torch.func.hessian, forward over reverse.
        h = tf.jacrev(tf.jacrev(f.program)) if self.transform is tf.jacrev else tf.hessian(f.program)
        return to_numpy(h(tensor(x)))


METHODS = (Autograd(), Func("jacrev"), Func("jacfwd"))
