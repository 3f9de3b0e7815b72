"""HIPS autograd, the numpy reverse-mode library the lab's tape resembles: it records numpy calls on
boxed arrays (`ArrayBox`) and runs their vector-Jacobian products backwards. Two ways:

  grad      the scalar-output operators: `elementwise_grad` applied k times for k-th derivatives at
            every point at once, `grad` for gradients, and Jacobians and Hessians row by row
            (`grad` of each output, `grad` of each gradient component).
  jacobian  the array-output operators: `jacobian` for gradients and Jacobians, `hessian`
            (jacobian of jacobian), and k-th derivatives by `jacobian` nested k times, point by
            point (over the whole vector of points it would build an m×m matrix per order).

Programs reach autograd through `lab.core.arrays.namespace`, which gives them `autograd.numpy`
for boxed arrays.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import autograd
import numpy as np

from lab.backends.base import Method
from lab.core.cases import Function


def _float64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _quiet(operator: Callable) -> Callable:
    """`operator` without its warning that a derivative does not depend on the input: a constant
    derivative (the 5th of a quartic) is an answer, 0, not a mistake."""

    @functools.wraps(operator)
    def quiet(fn: Callable) -> Callable:
        g = operator(fn)

        def call(*args):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Output seems independent of input")
                return g(*args)

        return call

    return quiet


elementwise_grad = _quiet(autograd.elementwise_grad)
grad = _quiet(autograd.grad)
jacobian = _quiet(autograd.jacobian)
hessian = _quiet(autograd.hessian)


def nested(operator: Callable, program: Callable, order: int) -> Callable:
    """`operator` applied `order` times to `program`."""
    for _ in range(order):
        program = operator(program)
    return program


def _component(fn: Callable, i: int) -> Callable:
    return lambda x: fn(x)[i]


def rows(fn: Callable, x: np.ndarray) -> np.ndarray:
    """The Jacobian of the vector fn(x) row by row: `grad` of each output, one backward pass each."""
    m = int(np.size(fn(x)))
    return np.stack([grad(_component(fn, i))(x) for i in range(m)])


class Grad(Method):
    """autograd's scalar-output operators: grad and elementwise_grad."""

    backend, variant = "autograd", "grad"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        return _float64(nested(elementwise_grad, f.program, order)(_float64(x)))

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return _float64(grad(f.program)(_float64(x)))

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return _float64(rows(f.program, _float64(x)))

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return _float64(rows(grad(f.program), _float64(x)))


class Jacobian(Method):
    """autograd's array-output operators: jacobian and hessian."""

    backend, variant = "autograd", "jacobian"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        d = nested(jacobian, f.program, order)
        return np.array([float(d(xi)) for xi in _float64(x)])

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return _float64(jacobian(f.program)(_float64(x)))

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return _float64(jacobian(f.program)(_float64(x)))

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return _float64(hessian(f.program)(_float64(x)))


METHODS = (Grad(), Jacobian())
