"""A small forward-mode AD written in numpy: truncated Taylor polynomials, the tape's mirror image.

A `Jet` carries, for every entry of an array, the Taylor coefficients c₀ … c_K of t ↦ f(x + t·v):
c₀ = f(x), c₁ = ∂f/∂v, and in general f's k-th directional derivative is k!·c_k. Each op maps the
coefficients of its inputs to those of its output by the recurrences of Taylor arithmetic (Griewank
& Walther, Evaluating Derivatives, ch. 13), so one forward sweep gives every order up to K at once.
Forward mode costs one sweep per input direction — n sweeps for a gradient of f: Rⁿ → R, where
the reverse-mode tape needs one — and no memory of the past: nothing is recorded.

Each op is registered in `OPS` where it is defined (`@op("asin", "arcsin")`); programs reach them
through the array API (`Jet.__array_namespace__` returns `ops`, built from `OPS`), and the programs
generated from SymPy expressions through `lab.backends.translate`'s table.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from lab.backends.base import Method
from lab.backends.translate import Registry
from lab.core.cases import Function
from lab.core.symbolic import numpy_erf
from lab.errors import Unsupported


class Jet:
    """An array with its Taylor coefficients: `c` has shape (K + 1, *shape)."""

    __array_priority__ = 100  # so that ndarray ⊕ Jet calls Jet's reflected operator

    def __init__(self, c):
        self.c = np.asarray(c)

    shape = property(lambda self: self.c.shape[1:])
    ndim = property(lambda self: self.c.ndim - 1)
    dtype = property(lambda self: self.c.dtype)
    value = property(lambda self: self.c[0])

    def __array_namespace__(self, api_version=None):
        return ops

    def __add__(self, other):
        a, b = _aligned(self, lift(other, self))
        return Jet(a + b)

    __radd__ = __add__

    def __neg__(self):
        return Jet(-self.c)

    def __sub__(self, other):
        return self + (-lift(other, self))

    def __rsub__(self, other):
        return lift(other, self) + (-self)

    def __mul__(self, other):
        return mul(self, lift(other, self))

    __rmul__ = __mul__

    def __truediv__(self, other):
        return mul(self, reciprocal(lift(other, self)))

    def __rtruediv__(self, other):
        return mul(lift(other, self), reciprocal(self))

    def __pow__(self, exponent):
        return power(self, exponent)

    def __rpow__(self, base):
        if isinstance(base, Jet) or np.any(np.asarray(base) <= 0):
            raise Unsupported("forward mode raises a positive constant to a power only")
        return exp(self * np.log(base))

    def __abs__(self):
        return Jet(self.c * np.sign(self.c[0]))

    def __pos__(self):
        return self

    def __getitem__(self, index):
        return Jet(self.c[(slice(None), *(index if isinstance(index, tuple) else (index,)))])

    def __repr__(self) -> str:
        return f"Jet({self.c!r})"


def _aligned(a: Jet, b: Jet) -> tuple[np.ndarray, np.ndarray]:
    """Both coefficient arrays with the array axes right-aligned, as numpy broadcasts arrays (the
    leading axis is the order, not an array axis)."""
    rank = max(a.ndim, b.ndim)
    return tuple(j.c.reshape(j.c.shape[0], *(1,) * (rank - j.ndim), *j.shape) for j in (a, b))


def lift(x, like: Jet) -> Jet:
    """A constant as a Jet of the same order (zero coefficients beyond c₀)."""
    if isinstance(x, Jet):
        return x
    value = np.asarray(x, dtype=np.result_type(x, like.dtype))
    c = np.zeros((like.c.shape[0], *value.shape), dtype=value.dtype)
    c[0] = value
    return Jet(c)


OPS = Registry()  # array-API name -> forward mode's op, registered where each is defined
op = OPS.op


# Each op: the output's coefficients from the inputs', order by order.
def mul(a: Jet, b: Jet) -> Jet:
    """Cauchy product: c_n = Σᵢ aᵢ b_{n−i}."""
    x, y = _aligned(a, b)
    c = np.zeros((x.shape[0], *np.broadcast_shapes(a.shape, b.shape)), dtype=np.result_type(x, y))
    for n in range(c.shape[0]):
        c[n] = sum(x[i] * y[n - i] for i in range(n + 1))
    return Jet(c)


def reciprocal(a: Jet) -> Jet:
    """b = 1/a: b₀ = 1/a₀, b_n = −(Σ_{i=1..n} aᵢ b_{n−i}) / a₀."""
    c = np.zeros_like(a.c, dtype=np.result_type(a.c, float))
    c[0] = 1 / a.c[0]
    for n in range(1, c.shape[0]):
        c[n] = -sum(a.c[i] * c[n - i] for i in range(1, n + 1)) / a.c[0]
    return Jet(c)


def _integrate(a: Jet, b0, derivative: Callable[[Jet], Jet]) -> Jet:
    """b with b₀ = b0 and b′ = derivative(b)·a′: b_n = (1/n) Σ_{i=1..n} i aᵢ d_{n−i}, d = b's
    derivative, built order by order (d may depend on b itself, as for exp and tanh)."""
    c = np.zeros_like(a.c, dtype=np.result_type(a.c, float))
    c[0] = b0
    for n in range(1, c.shape[0]):
        d = derivative(Jet(c[:n])).c  # needs b only up to order n − 1
        c[n] = sum(i * a.c[i] * d[n - i] for i in range(1, n + 1)) / n
    return Jet(c)


def _truncated(a: Jet, order: int) -> Jet:
    return Jet(a.c[: order + 1])


@op("exp")
def exp(a: Jet) -> Jet:
    return _integrate(a, np.exp(a.c[0]), lambda b: b)


@op("log")
def log(a: Jet) -> Jet:
    return _integrate(a, np.log(a.c[0]), lambda b: reciprocal(_truncated(a, b.c.shape[0] - 1)))


@op("sin")
def sin(a: Jet) -> Jet:
    return _sin_cos(a)[0]


@op("cos")
def cos(a: Jet) -> Jet:
    return _sin_cos(a)[1]


def _sin_cos(a: Jet) -> tuple[Jet, Jet]:
    """s′ = c·a′ and c′ = −s·a′, built together."""
    s = np.zeros_like(a.c, dtype=np.result_type(a.c, float))
    k = np.zeros_like(s)
    s[0], k[0] = np.sin(a.c[0]), np.cos(a.c[0])
    for n in range(1, s.shape[0]):
        s[n] = sum(i * a.c[i] * k[n - i] for i in range(1, n + 1)) / n
        k[n] = -sum(i * a.c[i] * s[n - i] for i in range(1, n + 1)) / n
    return Jet(s), Jet(k)


@op("tan")
def tan(a: Jet) -> Jet:
    s, k = _sin_cos(a)
    return mul(s, reciprocal(k))


@op("tanh")
def tanh(a: Jet) -> Jet:
    return _integrate(a, np.tanh(a.c[0]), lambda b: 1 - mul(b, b))


@op("sinh")
def sinh(a: Jet) -> Jet:
    return (exp(a) - exp(-a)) * 0.5


@op("cosh")
def cosh(a: Jet) -> Jet:
    return (exp(a) + exp(-a)) * 0.5


@op("sqrt")
def sqrt(a: Jet) -> Jet:
    return _integrate(a, np.sqrt(a.c[0]), lambda b: reciprocal(b) * 0.5)


@op("atan", "arctan")
def atan(a: Jet) -> Jet:
    return _integrate(a, np.arctan(a.c[0]), lambda b: reciprocal(1 + _square(a, b)))


@op("asin", "arcsin")
def asin(a: Jet) -> Jet:
    return _integrate(a, np.arcsin(a.c[0]), lambda b: reciprocal(sqrt(1 - _square(a, b))))


@op("acos", "arccos")
def acos(a: Jet) -> Jet:
    return _integrate(a, np.arccos(a.c[0]), lambda b: -reciprocal(sqrt(1 - _square(a, b))))


@op("expm1")
def expm1(a: Jet) -> Jet:
    return _integrate(a, np.expm1(a.c[0]), lambda b: 1 + b)  # (eᵘ − 1)′ = eᵘ = 1 + b


@op("log1p")
def log1p(a: Jet) -> Jet:
    return _integrate(a, np.log1p(a.c[0]), lambda b: reciprocal(1 + _truncated(a, b.c.shape[0] - 1)))


@op("asinh", "arcsinh")
def asinh(a: Jet) -> Jet:
    return _integrate(a, np.arcsinh(a.c[0]), lambda b: reciprocal(sqrt(_square(a, b) + 1)))


@op("acosh", "arccosh")
def acosh(a: Jet) -> Jet:
    return _integrate(a, np.arccosh(a.c[0]), lambda b: reciprocal(sqrt(_square(a, b) - 1)))


@op("atanh", "arctanh")
def atanh(a: Jet) -> Jet:
    return _integrate(a, np.arctanh(a.c[0]), lambda b: reciprocal(1 - _square(a, b)))


@op("erf")
def erf(a: Jet) -> Jet:
    return _integrate(a, numpy_erf(a.c[0]), lambda b: exp(-_square(a, b)) * (2 / math.sqrt(math.pi)))


@op("sign")
def sign(a: Jet) -> Jet:
    """Piecewise constant: every coefficient past c₀ is 0 (at 0 there is no derivative; the
    reference says so)."""
    return lift(np.sign(a.c[0]), a)


@op("maximum")
def maximum(a, b) -> Jet:
    return _select(a, b, np.greater_equal)


@op("minimum")
def minimum(a, b) -> Jet:
    return _select(a, b, np.less_equal)


def _select(a, b, keep_a: Callable) -> Jet:
    """Entrywise the coefficients of a where keep_a(a₀, b₀), else of b (at a tie a's: the
    derivative does not exist there, and the reference says so)."""
    like = a if isinstance(a, Jet) else b
    x, y = _aligned(lift(a, like), lift(b, like))
    return Jet(np.where(keep_a(x[0], y[0]), x, y))


def _square(a: Jet, b: Jet) -> Jet:
    t = _truncated(a, b.c.shape[0] - 1)
    return mul(t, t)


@op("pow")
def power(a: Jet, k) -> Jet:
    """a^k for a constant k: products for integer k (any sign of a), else exp(k·log a)."""
    if isinstance(k, Jet):
        raise Unsupported("forward mode raises to constant powers only")
    if float(k).is_integer():
        result = _integer_power(a, abs(int(k)))
        return result if k >= 0 else reciprocal(result)
    return exp(log(a) * float(k))


def _integer_power(a: Jet, n: int) -> Jet:
    """aⁿ by repeated squaring: O(log n) products (17 for x**999)."""
    result, square = lift(1.0, a), a
    while n:
        if n & 1:
            result = mul(result, square)
        n >>= 1
        if n:
            square = mul(square, square)
    return result


@op("abs")
def absolute(a: Jet) -> Jet:
    return abs(a)


@op("logaddexp")
def logaddexp(a, b) -> Jet:
    like = a if isinstance(a, Jet) else b
    a, b = lift(a, like), lift(b, like)
    top = np.maximum(a.c[0], b.c[0])  # shift by a constant: exact, and no overflow
    return log(exp(a - top) + exp(b - top)) + top


@op("sum")
def total(a: Jet, axis=None, keepdims: bool = False) -> Jet:
    axes = tuple(range(1, a.c.ndim)) if axis is None else tuple(
        (ax % a.ndim) + 1 for ax in np.atleast_1d(axis))
    return Jet(np.sum(a.c, axis=axes, keepdims=keepdims))


@op("max")
def maximum_of(a: Jet, axis=None, keepdims: bool = False) -> Jet:
    """The coefficients of the first maximal entry (the subgradient torch and JAX pick)."""
    if axis is not None:
        index = np.expand_dims(np.argmax(a.c[0], axis=axis), axis)
        c = np.take_along_axis(a.c, index[None], axis=(axis % a.ndim) + 1)
        return Jet(c if keepdims else np.squeeze(c, axis=(axis % a.ndim) + 1))
    i = np.unravel_index(np.argmax(a.c[0]), a.shape)
    return Jet(a.c[(slice(None), *i)])


op("asarray")(lambda x, **kw: np.asarray(x.c[0] if isinstance(x, Jet) else x))
op("zeros_like")(lambda x, **kw: np.zeros_like(x.c[0] if isinstance(x, Jet) else x))
OPS["float64"] = np.float64
ops = OPS.namespace("lab.backends.taylor.ops", "The array-API functions forward mode implements.")


def seeded(x: np.ndarray, direction: np.ndarray, order: int) -> Jet:
    """x + t·direction as a Jet of the given order."""
    c = np.zeros((order + 1, *np.shape(x)))
    c[0] = x
    c[1:2] = direction  # nothing to set for order 0
    return Jet(c)


def directional(program: Callable, x: np.ndarray, direction: np.ndarray, order: int) -> np.ndarray:
    """The `order`-th derivative of t ↦ program(x + t·direction) at t = 0: order!·c_order."""
    out = program(seeded(x, direction, order))
    c = out.c[order] if isinstance(out, Jet) else np.zeros_like(np.asarray(out, dtype=np.float64))
    return math.factorial(order) * np.asarray(c, dtype=np.float64)


class Taylor(Method):
    """Forward mode by Taylor polynomials: k-th derivatives in one sweep, Jacobians one sweep per
    input, Hessians from second directional derivatives along eᵢ and eᵢ + eⱼ."""

    backend, variant = "taylor", "forward"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        return directional(f.program, x, np.ones_like(x), order)  # elementwise f: all points at once

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return np.stack([directional(f.program, x, e, 1) for e in np.eye(len(x))], axis=-1)

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self.jacobian(f, x).reshape(-1)

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        n = len(x)
        e = np.eye(n)
        diagonal = [float(directional(f.program, x, e[i], 2)) for i in range(n)]
        h = np.diag(diagonal)
        for i in range(n):
            for j in range(i + 1, n):  # polarization: D²(eᵢ + eⱼ) = Hᵢᵢ + 2Hᵢⱼ + Hⱼⱼ
                both = float(directional(f.program, x, e[i] + e[j], 2))
                h[i, j] = h[j, i] = (both - diagonal[i] - diagonal[j]) / 2
        return h


METHODS = (Taylor(),)
