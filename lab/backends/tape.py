"""A small reverse-mode AD written in numpy: a gradient tape, the lecture's "Beras" idea.

Running a program on `Var`s records, for every result, its parents and the local vector-Jacobian
product (vjp) of each: g ↦ g·∂out/∂parent. `backward` walks the record in reverse topological order
and sums the contributions. Each op's forward and backward stand side by side. Programs reach these
ops through the array API: `Var.__array_namespace__` returns `tape.ops`.

The backward pass computes with plain numpy values, not with `Var`s, so the tape differentiates
once: first derivatives, gradients and Jacobians; no Hessians or higher orders.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np

from lab.backends.base import Method, Unsupported
from lab.core.cases import Function


class Var:
    """A value on the tape: a float64 (or complex) array plus how it was computed."""

    __array_priority__ = 100  # so that ndarray ⊕ Var calls Var's reflected operator

    def __init__(self, value, parents: tuple[tuple[Var, Callable], ...] = ()):
        self.value = np.asarray(value)
        self.parents = parents

    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    dtype = property(lambda self: self.value.dtype)

    def __array_namespace__(self, api_version=None):
        return ops

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return add(self, neg(other))

    def __rsub__(self, other):
        return add(other, neg(self))

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return mul(self, reciprocal(other))

    def __rtruediv__(self, other):
        return mul(other, reciprocal(self))

    def __neg__(self):
        return neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return absolute(self)

    def __pow__(self, exponent):
        return power(self, exponent)

    def __rpow__(self, base):
        if isinstance(base, Var) or np.any(np.asarray(base) <= 0):
            raise Unsupported("the tape raises a positive constant to a power only (a**x = exp(x·log a))")
        return exp(mul(self, np.log(base)))

    def __getitem__(self, index):
        return take(self, index)

    def __repr__(self) -> str:
        return f"Var({self.value!r})"


def lift(x) -> Var:
    """A constant (no parents) unless x is already on the tape."""
    return x if isinstance(x, Var) else Var(x)


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum g over the axes broadcasting added, so it matches the parent's shape."""
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


# Each op: forward value, and for each parent its vjp, g -> g · ∂out/∂parent.
def add(a, b) -> Var:
    a, b = lift(a), lift(b)
    return Var(a.value + b.value, ((a, lambda g: unbroadcast(g, a.shape)),
                                   (b, lambda g: unbroadcast(g, b.shape))))


def mul(a, b) -> Var:
    a, b = lift(a), lift(b)
    return Var(a.value * b.value, ((a, lambda g: unbroadcast(g * b.value, a.shape)),
                                   (b, lambda g: unbroadcast(g * a.value, b.shape))))


def neg(a) -> Var:
    a = lift(a)
    return Var(-a.value, ((a, lambda g: -g),))


def reciprocal(a) -> Var:
    a = lift(a)
    out = 1.0 / a.value
    return Var(out, ((a, lambda g: -g * out * out),))


def power(a, k: float) -> Var:
    if isinstance(k, Var):
        raise Unsupported("the tape raises to constant powers only")
    a = lift(a)
    return Var(a.value**k, ((a, lambda g: g * k * a.value ** (k - 1)),))


def exp(a) -> Var:
    a = lift(a)
    out = np.exp(a.value)
    return Var(out, ((a, lambda g: g * out),))


def log(a) -> Var:
    a = lift(a)
    return Var(np.log(a.value), ((a, lambda g: g / a.value),))


def sin(a) -> Var:
    a = lift(a)
    return Var(np.sin(a.value), ((a, lambda g: g * np.cos(a.value)),))


def cos(a) -> Var:
    a = lift(a)
    return Var(np.cos(a.value), ((a, lambda g: -g * np.sin(a.value)),))


def tanh(a) -> Var:
    a = lift(a)
    out = np.tanh(a.value)
    return Var(out, ((a, lambda g: g * (1 - out * out)),))


def sqrt(a) -> Var:
    a = lift(a)
    out = np.sqrt(a.value)
    return Var(out, ((a, lambda g: g * 0.5 / out),))


def absolute(a) -> Var:
    a = lift(a)
    return Var(np.abs(a.value), ((a, lambda g: g * np.sign(a.value)),))


def logaddexp(a, b) -> Var:
    a, b = lift(a), lift(b)
    out = np.logaddexp(a.value, b.value)
    return Var(out, ((a, lambda g: unbroadcast(g * np.exp(a.value - out), a.shape)),
                     (b, lambda g: unbroadcast(g * np.exp(b.value - out), b.shape))))


def total(a, axis=None, keepdims: bool = False) -> Var:
    a = lift(a)
    out = np.sum(a.value, axis=axis, keepdims=keepdims)

    def vjp(g):
        g = np.asarray(g)
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, a.shape)

    return Var(out, ((a, vjp),))


def maximum_of(a, axis=None, keepdims: bool = False) -> Var:
    # The subgradient that sends everything to the first maximal entry, as torch and JAX do for max.
    a = lift(a)
    if axis is None:
        i = np.unravel_index(np.argmax(a.value), a.shape)

        def vjp(g):
            out = np.zeros_like(a.value, dtype=np.result_type(g, a.value))
            out[i] = g
            return out

        return Var(np.max(a.value), ((a, vjp),))
    index = np.argmax(a.value, axis=axis, keepdims=True)

    def vjp_axis(g):
        out = np.zeros_like(a.value, dtype=np.result_type(g, a.value))
        np.put_along_axis(out, index, g if keepdims else np.expand_dims(g, axis), axis=axis)
        return out

    return Var(np.max(a.value, axis=axis, keepdims=keepdims), ((a, vjp_axis),))


def take(a, index) -> Var:
    a = lift(a)

    def vjp(g):
        out = np.zeros_like(a.value, dtype=np.result_type(g, a.value))
        out[index] += g
        return out

    return Var(a.value[index], ((a, vjp),))


# The namespace programs get from array_namespace(var): a module, as array_api_compat expects.
ops = ModuleType("lab.backends.tape.ops", "The array-API functions the tape implements.")
ops.__dict__.update(
    exp=exp, log=log, sin=sin, cos=cos, tanh=tanh, sqrt=sqrt, abs=absolute, sum=total,
    max=maximum_of, logaddexp=logaddexp,
    asarray=lambda x, **kw: np.asarray(x.value if isinstance(x, Var) else x),
    zeros_like=lambda x, **kw: np.zeros_like(x.value if isinstance(x, Var) else x),
    float64=np.float64,
)


def backward(out: Var, seed) -> dict[int, np.ndarray]:
    """Adjoints ∂(seed · out)/∂v for every v on the tape, keyed by id(v)."""
    order, seen = [], set()

    def visit(v: Var):  # depth-first, iteratively: deep graphs must not hit the recursion limit
        stack = [(v, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p, _ in node.parents)

    visit(out)
    grads = {id(out): np.asarray(seed, dtype=np.result_type(float, out.value))}
    for node in reversed(order):
        g = grads.get(id(node))
        if g is None:
            continue
        for parent, vjp in node.parents:
            grads[id(parent)] = grads.get(id(parent), 0) + vjp(g)
    return grads


def grad_of(program: Callable, x: np.ndarray, seed=1.0) -> np.ndarray:
    """∂(seed · program(x))/∂x, one reverse sweep."""
    v = Var(np.asarray(x, dtype=np.float64))
    out = lift(program(v))
    g = backward(out, np.broadcast_to(seed, out.shape)).get(id(v))
    return np.zeros_like(v.value) if g is None else np.asarray(g, dtype=np.float64)


class Tape(Method):
    """The numpy gradient tape: one reverse sweep per output."""

    backend, variant = "tape", "reverse"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        if order != 1:
            raise Unsupported("the tape's backward pass is not itself recorded: first derivatives only")
        return grad_of(lambda v: total(f.program(v)), x)  # Σᵢ f(xᵢ) has ∂/∂xᵢ = f'(xᵢ)

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return grad_of(f.program, x)

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        m = np.size(np.asarray(lift(f.program(Var(x))).value))
        return np.stack([grad_of(f.program, x, seed) for seed in np.eye(m)])

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        raise Unsupported("the tape's backward pass is not itself recorded: no Hessians")


METHODS = (Tape(),)
