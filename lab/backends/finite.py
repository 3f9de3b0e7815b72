"""Finite differences: fixed stencils (forward, central, 5-point), complex step, and SciPy's
adaptive `scipy.differentiate`.

A stencil with offsets sⱼ and weights wⱼ estimates f⁽ᵏ⁾(x) ≈ Σⱼ wⱼ f(x + sⱼh) / hᵏ with error
O(hᵃ) (a = the stencil's accuracy). Rounding adds about ε·|f|·Σ|wⱼ| / hᵏ, so the best step is
h ≈ ε^(1/(a+k)) for a function that varies on the scale of 1, and the best error about
(Σ|wⱼ| + 1)·ε^(a/(a+k))·|f| — the error each stencil is expected to reach (`lab.core.compare`).
Where that is above a useful accuracy (high orders, large |f|) the verdict is `inaccurate`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from scipy import differentiate
from sympy.calculus.finite_diff import finite_diff_weights

from lab.backends.base import EPS, Estimated, Method, Unsupported
from lab.core.cases import Function
from lab.core.compare import Policy


def forward_offsets(order: int) -> tuple[int, ...]:
    """0, 1, …, k: one-sided, error O(h)."""
    return tuple(range(order + 1))


def central_offsets(order: int) -> tuple[int, ...]:
    """−r … r with r = ⌈k/2⌉: symmetric, error O(h²)."""
    r = (order + 1) // 2
    return tuple(range(-r, r + 1))


def five_point_offsets(order: int) -> tuple[int, ...]:
    """−2 … 2 (error O(h⁴)) for k ≤ 2; widened to −3 … 3 for k = 3, 4 to keep O(h⁴)."""
    if order > 4:
        raise Unsupported("the 5-point family keeps O(h⁴) up to order 4; seven points cannot "
                          f"resolve order {order}")
    r = 2 if order <= 2 else 3
    return tuple(range(-r, r + 1))


@functools.lru_cache(maxsize=64)
def weights(offsets: tuple[int, ...], order: int) -> np.ndarray:
    """Fornberg's weights for the k-th derivative on integer offsets (exact rationals -> float)."""
    w = np.array([float(w) for w in finite_diff_weights(order, list(offsets), 0)[order][-1]])
    if not w.any():  # too few points for this order: the stencil would return 0, not a derivative
        raise Unsupported(f"{len(offsets)} points cannot resolve a derivative of order {order}")
    return w


def stencil(g: Callable, x, order: int, offsets: tuple[int, ...], h):
    """Σⱼ wⱼ g(x + sⱼh) / hᵏ for the k-th derivative, with a step h the caller chooses."""
    w = weights(offsets, order)
    return sum(wj * np.asarray(g(x + sj * h)) for wj, sj in zip(w, offsets, strict=True) if wj) / h**order


def step(x: np.ndarray, accuracy: int, order: int, scale: float = 1.0) -> np.ndarray:
    """h = ε^(1/(a+k)), but at least 256 ulps of x (so that x + h ≠ x), times `scale`, rounded so
    that x + h is exactly representable. The step is absolute, not relative to |x|: softmax at
    z = 1000 varies on the scale of 1, and a step of 10⁻³·|z| would be a thousand times too coarse."""
    h = scale * np.maximum(EPS ** (1.0 / (accuracy + order)), 256 * EPS * np.abs(x))
    return (x + h) - x


class Stencil(Method):
    """A fixed stencil of given accuracy, applied along each coordinate in turn."""

    family = "numerical"
    backend = "finite"

    def __init__(self, variant: str, offsets: Callable[[int], tuple[int, ...]], accuracy: int):
        self.variant, self.offsets, self.accuracy = variant, offsets, accuracy

    def policy(self, order: int) -> Policy:
        """Rounding at the chosen step (see the module docstring) plus the estimated truncation."""
        weight_sum = float(np.abs(weights(self.offsets(order), order)).sum())
        return Policy("stencil", weight_sum, self.accuracy, order)

    def apply(self, g: Callable, x: np.ndarray, order: int, direction: np.ndarray | None,
              step_order: int | None = None, scale: float = 1.0):
        offsets = self.offsets(order)
        step_order = step_order or order
        if direction is None:  # elementwise f: perturb every point at once
            return stencil(g, x, order, offsets, step(x, self.accuracy, step_order, scale))
        h = step(x @ direction, self.accuracy, step_order, scale)
        return stencil(lambda v: g(x + (v - x @ direction) * direction), x @ direction, order,
                       offsets, h)

    def columns(self, g: Callable, x: np.ndarray, step_order: int = 1, scale: float = 1.0) -> np.ndarray:
        return np.stack([self.apply(g, x, 1, e, step_order, scale) for e in np.eye(len(x))], axis=-1)

    def _with_estimate(self, at_step: Callable[[float], np.ndarray]) -> Estimated:
        """The stencil at step h, with Richardson's estimate of its truncation error from the
        same stencil at 2h: |D(h) − D(2h)| / (2ᵃ − 1)."""
        fine, coarse = np.asarray(at_step(1.0)), np.asarray(at_step(2.0))
        return Estimated(fine, np.abs(fine - coarse) / (2**self.accuracy - 1))

    def derivative(self, f: Function, x: np.ndarray, order: int) -> Estimated:
        return self._with_estimate(lambda s: self.apply(f.program, x, order, None, scale=s))

    def jacobian(self, f: Function, x: np.ndarray) -> Estimated:
        return self._with_estimate(lambda s: self.columns(f.program, x, scale=s))

    def gradient(self, f: Function, x: np.ndarray) -> Estimated:
        return self.jacobian(f, x)

    def hessian(self, f: Function, x: np.ndarray) -> Estimated:
        # The stencil applied to the stencil gradient, both at the step that suits order 2.
        return self._with_estimate(
            lambda s: self.columns(lambda v: self.columns(f.program, v, 2, s), x, 2, s))


class ComplexStep(Method):
    """Complex step: derivatives from the imaginary part of f at complex points, where no two
    nearly equal values are subtracted.

    Order 1 (Squire & Trapp): f'(x) ≈ Im f(x + ih) / h with h = 1e−20, exact to rounding for
    complex-analytic programs.
    Order 2 (Lai & Crassidis' step along e^(iπ/4), written with r = h/√2):
        f''(x) ≈ Im[f(x + r + ir) + f(x − r − ir)] / (2r²)
    In the Taylor series of the two values the odd terms cancel (f′ and f‴ drop out of the sum, and
    f(x) is never subtracted from anything), the fourth-order term is real, and what remains is
    f'' − r⁴·f⁽⁶⁾/90 + …. Hessians by polarization: Hⱼₖ = [D(eⱼ + eₖ) − D(eⱼ − eₖ)] / 4 with
    D(v) the second derivative along v. Beyond order 2 it would need multicomplex arithmetic.
    """

    backend, variant, family = "finite", "complex_step", "numerical"
    h = 1e-20
    # Order 2: the rounding of Im f(x ± r(1 + i)) ≈ ±r·f' is relative to itself, ε·r·|f'|, so the
    # formula's rounding is about ε·|f'|/r against a truncation of r⁴·|f⁽⁶⁾|/90: the best r is
    # ε^(1/5) for a function that varies on the scale of 1 (as for a stencil of accuracy 4 whose
    # rounding grows as 1/r).
    accuracy, rounding_order = 4, 1

    def _check(self, f: Function, order: int) -> None:
        if f.real_only:
            raise Unsupported(f"complex step needs a complex-analytic program: {f.real_only}")
        if order not in (1, 2):
            raise Unsupported(f"complex step gives derivatives of order 1 and 2 only (order "
                              f"{order} would need multicomplex numbers)")

    def policy(self, order: int) -> Policy:
        """Order 1: rounding only. Order 2: the formula's rounding at its step (as for a stencil of
        accuracy 4 and two unit weights, relative to max(1, |f|)) plus Richardson's estimate of
        the truncation from the same formula at twice the step."""
        if order == 1:
            return super().policy(order)
        return Policy("stencil", 2.0, self.accuracy, self.rounding_order)

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray | Estimated:
        self._check(f, order)
        if order == 1:
            return np.imag(f.program(x + 1j * self.h)) / self.h
        return self._richardson(lambda s: self._second(f.program, x, None, s))

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        self._check(f, 1)
        columns = [np.imag(f.program(x + 1j * self.h * e)) / self.h for e in np.eye(len(x))]
        return np.stack([np.asarray(c) for c in columns], axis=-1)

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self.jacobian(f, x)

    def hessian(self, f: Function, x: np.ndarray) -> Estimated:
        self._check(f, 2)
        return self._richardson(lambda s: self._polarized(f.program, x, s))

    def _step(self, x, scale: float) -> np.ndarray:
        """r = ε^(1/5) (at least 256 ulps of x) times `scale`, taken as (|x| + r) − |x| so that
        x + r and x − r are both exact: a rounded real offset would move the point by ε·|x|, an
        error of ε·|x|/r in f''."""
        magnitude = np.abs(x)
        r = scale * np.maximum(EPS ** (1.0 / (self.accuracy + self.rounding_order)),
                               256 * EPS * magnitude)
        return (magnitude + r) - magnitude

    def _second(self, g: Callable, x: np.ndarray, direction: np.ndarray | None,
                scale: float) -> np.ndarray:
        """Im[g(x + r(1 + i)v) + g(x − r(1 + i)v)] / (2r²): the second derivative along v, or at
        every point of x at once when v is None (elementwise g)."""
        if direction is None:
            r = self._step(x, scale)
            step = r * (1 + 1j)
        else:  # one step for the point, from the largest coordinate it moves
            r = float(self._step(np.max(np.abs(x[direction != 0])), scale))
            step = r * (1 + 1j) * direction
        total = np.asarray(g(x + step)) + np.asarray(g(x - step))
        return np.imag(total) / (2 * r * r)

    def _polarized(self, g: Callable, x: np.ndarray, scale: float) -> np.ndarray:
        e = np.eye(len(x))
        h = np.diag([float(self._second(g, x, e[j], scale)) for j in range(len(x))])
        for j in range(len(x)):
            for k in range(j + 1, len(x)):
                h[j, k] = h[k, j] = (self._second(g, x, e[j] + e[k], scale)
                                     - self._second(g, x, e[j] - e[k], scale)) / 4
        return h

    def _richardson(self, at_scale: Callable[[float], np.ndarray]) -> Estimated:
        """The value at step r with its truncation estimated from the value at 2r:
        |D(r) − D(2r)| / (2⁴ − 1)."""
        fine, coarse = np.asarray(at_scale(1.0)), np.asarray(at_scale(2.0))
        return Estimated(fine, np.abs(fine - coarse) / (2**self.accuracy - 1))


def _batched(program: Callable, vector_output: bool) -> Callable:
    # scipy.differentiate passes x of shape (n, *batch); our programs take one point (n,).
    def g(x):
        flat = x.reshape(x.shape[0], -1)
        out = np.stack([np.reshape(program(flat[:, j]), -1) for j in range(flat.shape[1])], axis=-1)
        return out.reshape((-1, *x.shape[1:]) if vector_output else x.shape[1:])

    return g


class Adaptive(Method):
    """scipy.differentiate: Richardson-style extrapolation over shrinking steps until its error
    estimate stops improving. First derivatives and Hessians (order ≤ 2). Its own error estimate
    is what it is held to (for nested second derivatives, the outer estimate)."""

    backend, variant, family = "finite", "adaptive", "numerical"

    def policy(self, order: int) -> Policy:
        """Its own estimate, but never better than a central difference's expected error: the
        estimate is the change between its last two extrapolations, which can be optimistic."""
        return Policy("adaptive", float(np.abs(weights(central_offsets(order), order)).sum()), 2, order)

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
        for _ in range(order - 1):
            g = functools.partial(lambda t, inner: differentiate.derivative(
                inner, t, initial_step=self._initial_step(t)).df, inner=g)
        result = differentiate.derivative(g, x, initial_step=self._initial_step(x))
        return Estimated(result.df, result.error)

    def jacobian(self, f: Function, x: np.ndarray) -> Estimated:
        result = differentiate.jacobian(_batched(f.program, True), x, initial_step=self._initial_step(x))
        return Estimated(result.df, result.error)

    def gradient(self, f: Function, x: np.ndarray) -> Estimated:
        result = self.jacobian(f, x)
        return Estimated(result.values.reshape(-1), result.error.reshape(-1))

    def hessian(self, f: Function, x: np.ndarray) -> Estimated:
        result = differentiate.hessian(_batched(f.program, False), x, initial_step=self._initial_step(x))
        return Estimated(result.ddf, result.error)



METHODS = (
    Stencil("forward", forward_offsets, 1),
    Stencil("central", central_offsets, 2),
    Stencil("5-point", five_point_offsets, 4),
    ComplexStep(),
    Adaptive(),
)
