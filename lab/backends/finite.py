"""Finite differences: fixed stencils (forward, central, 5-point), complex step, and SciPy's
adaptive `scipy.differentiate`.

A stencil with offsets sⱼ and weights wⱼ estimates f⁽ᵏ⁾(x) ≈ Σⱼ wⱼ f(x + sⱼh) / hᵏ with error
O(hᵃ) (a = the stencil's accuracy). Rounding adds about ε·|f| / hᵏ, so the best step is
h ≈ ε^(1/(a+k)) for a function that varies on the scale of 1, and the best error about
ε^(a/(a+k)) — the tolerance used is 1000 times that.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from scipy import differentiate
from sympy.calculus.finite_diff import finite_diff_weights

from lab.backends.base import EPS, ROUNDING_TOLERANCE, Method, Unsupported
from lab.exercises.base import Function


def forward_offsets(order: int) -> tuple[int, ...]:
    """0, 1, …, k: one-sided, error O(h)."""
    return tuple(range(order + 1))


def central_offsets(order: int) -> tuple[int, ...]:
    """−r … r with r = ⌈k/2⌉: symmetric, error O(h²)."""
    r = (order + 1) // 2
    return tuple(range(-r, r + 1))


def five_point_offsets(order: int) -> tuple[int, ...]:
    """−2 … 2 (error O(h⁴)) for k ≤ 2; widened to −3 … 3 for k = 3, 4 to keep O(h⁴)."""
    r = 2 if order <= 2 else 3
    return tuple(range(-r, r + 1))


@functools.lru_cache(maxsize=64)
def weights(offsets: tuple[int, ...], order: int) -> np.ndarray:
    """Fornberg's weights for the k-th derivative on integer offsets (exact rationals -> float)."""
    return np.array([float(w) for w in finite_diff_weights(order, list(offsets), 0)[order][-1]])


def stencil(g: Callable, x, order: int, offsets: tuple[int, ...], h):
    """Σⱼ wⱼ g(x + sⱼh) / hᵏ for the k-th derivative, with a step h the caller chooses."""
    w = weights(offsets, order)
    return sum(wj * np.asarray(g(x + sj * h)) for wj, sj in zip(w, offsets, strict=True) if wj) / h**order


def step(x: np.ndarray, accuracy: int, order: int) -> np.ndarray:
    """h = ε^(1/(a+k)), but at least 256 ulps of x (so that x + h ≠ x), rounded so that x + h is
    exactly representable. The step is absolute, not relative to |x|: softmax at z = 1000 varies on
    the scale of 1, and a step of 10⁻³·|z| would be a thousand times too coarse there."""
    h = np.maximum(EPS ** (1.0 / (accuracy + order)), 256 * EPS * np.abs(x))
    return (x + h) - x


class Stencil(Method):
    """A fixed stencil of given accuracy, applied along each coordinate in turn."""

    family = "numerical"
    backend = "finite"

    def __init__(self, variant: str, offsets: Callable[[int], tuple[int, ...]], accuracy: int):
        self.variant, self.offsets, self.accuracy = variant, offsets, accuracy

    def tolerance(self, order: int) -> float:
        return 1000.0 * EPS ** (self.accuracy / (self.accuracy + order))

    def apply(self, g: Callable, x: np.ndarray, order: int, direction: np.ndarray | None,
               step_order: int | None = None):
        offsets = self.offsets(order)
        step_order = step_order or order
        if direction is None:  # elementwise f: perturb every point at once
            return stencil(g, x, order, offsets, step(x, self.accuracy, step_order))
        h = step(x @ direction, self.accuracy, step_order)
        return stencil(lambda v: g(x + (v - x @ direction) * direction), x @ direction, order,
                       offsets, h)

    def columns(self, g: Callable, x: np.ndarray, step_order: int = 1) -> np.ndarray:
        return np.stack([self.apply(g, x, 1, e, step_order) for e in np.eye(len(x))], axis=-1)

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        return self.apply(f.program, x, order, None)

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self.columns(f.program, x)

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self.columns(f.program, x)

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        # The stencil applied to the stencil gradient, both at the step that suits order 2.
        return self.columns(lambda v: self.columns(f.program, v, 2), x, 2)


class ComplexStep(Method):
    """f'(x) ≈ Im f(x + ih) / h with h = 1e−20: no subtraction, so no cancellation; exact to
    rounding for complex-analytic programs, first derivatives only."""

    backend, variant, family = "finite", "complex_step", "numerical"
    h = 1e-20

    def _check(self, f: Function, order: int) -> None:
        if f.real_only:
            raise Unsupported(f"complex step needs a complex-analytic program: {f.real_only}")
        if order != 1:
            raise Unsupported("complex step gives first derivatives only")

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        self._check(f, order)
        return np.imag(f.program(x + 1j * self.h)) / self.h

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        self._check(f, 1)
        columns = [np.imag(f.program(x + 1j * self.h * e)) / self.h for e in np.eye(len(x))]
        return np.stack([np.asarray(c) for c in columns], axis=-1)

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self.jacobian(f, x)

    def tolerance(self, order: int) -> float:
        return ROUNDING_TOLERANCE


def _batched(program: Callable, vector_output: bool) -> Callable:
    # scipy.differentiate passes x of shape (n, *batch); our programs take one point (n,).
    def g(x):
        flat = x.reshape(x.shape[0], -1)
        out = np.stack([np.reshape(program(flat[:, j]), -1) for j in range(flat.shape[1])], axis=-1)
        return out.reshape((-1, *x.shape[1:]) if vector_output else x.shape[1:])

    return g


class Adaptive(Method):
    """scipy.differentiate: Richardson-style extrapolation over shrinking steps until its error
    estimate stops improving. First derivatives and Hessians (order ≤ 2)."""

    backend, variant, family = "finite", "adaptive", "numerical"

    def tolerance(self, order: int) -> float:
        return 1e-8 if order == 1 else 1e-5

    @staticmethod
    def _initial_step(x: np.ndarray) -> float:
        # SciPy's default first step, 0.5, would take p = 0.9 to 1.4 and evaluate log(1 − p) there:
        # start small enough that the widest stencil stays inside (0, 1) for 0.05 ≤ p ≤ 0.95.
        return 0.01 * float(np.clip(np.min(np.abs(x)), 0.1, 10.0))

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        if order > 2:
            raise Unsupported("scipy.differentiate nests to order 2 at most here: beyond that the "
                              "inner error estimates are amplified past use")
        g = f.program
        for _ in range(order):
            g = functools.partial(lambda t, inner: differentiate.derivative(
                inner, t, initial_step=self._initial_step(t)).df, inner=g)
        return g(x)

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return differentiate.jacobian(_batched(f.program, True), x,
                                      initial_step=self._initial_step(x)).df

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self.jacobian(f, x).reshape(-1)

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return differentiate.hessian(_batched(f.program, False), x,
                                     initial_step=self._initial_step(x)).ddf


METHODS = (
    Stencil("forward", forward_offsets, 1),
    Stencil("central", central_offsets, 2),
    Stencil("5-point", five_point_offsets, 4),
    ComplexStep(),
    Adaptive(),
)
