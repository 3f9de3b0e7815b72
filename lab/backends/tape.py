"""A small reverse-mode AD written in numpy: a gradient tape, the lecture's "Beras" idea.

Running a program on `Var`s records, for every result, its parents and the local vector-Jacobian
product (vjp) of each: g ↦ g·∂out/∂parent. `backward` walks the record in reverse topological order
and sums the contributions. Each op's forward and backward stand side by side. Programs reach these
ops through the array API: `Var.__array_namespace__` returns `tape.ops`.

Every vjp is written with the tape's own ops. For first derivatives the backward pass runs them on
plain values (nothing recorded); with `create_graph` it records them, so the backward pass is
itself a program on the tape and can be differentiated again: Hessians and k-th derivatives.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

import numpy as np

from lab.backends.base import Method, Unsupported
from lab.core.cases import Function
from lab.core.symbolic import numpy_erf


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


# While a backward pass runs for first derivatives only, nothing needs recording: the ops below
# then compute on plain values. With create_graph the backward pass is recorded like any program,
# so it can be differentiated again (Hessians, k-th derivatives).
_recording = [True]


@contextmanager
def recording(on: bool) -> Iterator[None]:
    """Record ops on Vars (on) or compute their values only (off) inside the block."""
    previous, _recording[0] = _recording[0], on
    try:
        yield
    finally:
        _recording[0] = previous


def _value(x):
    return x.value if isinstance(x, Var) else np.asarray(x)


def _records(*args) -> bool:
    return _recording[0] and any(isinstance(a, Var) for a in args)


def _node(value, *parents: tuple[Var, Callable]) -> Var:
    return Var(value, tuple(parents))


def _with_own_vjp(value, parent: Var, vjp: Callable[[object, Var], object]) -> Var:
    """A node whose vjp uses the node itself (exp: g·out). The vjp reaches it through a weak
    reference: a strong one would make a reference cycle, and every discarded tape would wait for
    the cyclic garbage collector, holding its arrays. During `backward` the node is alive."""
    out = Var(value)
    own = weakref.ref(out)
    out.parents = ((parent, lambda g: vjp(g, own())),)
    return out


def unbroadcast(g, shape: tuple):
    """Sum g over the axes broadcasting added, so it matches the parent's shape."""
    while np.ndim(_value(g)) > len(shape):
        g = total(g, axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and np.shape(_value(g))[axis] != 1:
            g = total(g, axis=axis, keepdims=True)
    return g


# Each op: forward value, and for each parent its vjp, g -> g · ∂out/∂parent, written with these
# same ops so that a recorded backward pass can itself be differentiated.
def add(a, b):
    if not _records(a, b):
        return _value(a) + _value(b)
    a, b = lift(a), lift(b)
    return _node(a.value + b.value, (a, lambda g: unbroadcast(g, a.shape)),
                 (b, lambda g: unbroadcast(g, b.shape)))


def mul(a, b):
    if not _records(a, b):
        return _value(a) * _value(b)
    a, b = lift(a), lift(b)
    return _node(a.value * b.value, (a, lambda g: unbroadcast(mul(g, b), a.shape)),
                 (b, lambda g: unbroadcast(mul(g, a), b.shape)))


def neg(a):
    if not _records(a):
        return -_value(a)
    return _node(-a.value, (a, lambda g: neg(g)))


def reciprocal(a):
    if not _records(a):
        return 1.0 / _value(a)
    return _with_own_vjp(1.0 / a.value, a, lambda g, out: neg(mul(g, mul(out, out))))


def power(a, k: float):
    if isinstance(k, Var):
        raise Unsupported("the tape raises to constant powers only")
    if not _records(a):
        return _value(a) ** k
    return _node(a.value**k, (a, lambda g: mul(g, mul(k, power(a, k - 1)))))


def exp(a):
    if not _records(a):
        return np.exp(_value(a))
    return _with_own_vjp(np.exp(a.value), a, lambda g, out: mul(g, out))


def log(a):
    if not _records(a):
        return np.log(_value(a))
    return _node(np.log(a.value), (a, lambda g: mul(g, reciprocal(a))))


def sin(a):
    if not _records(a):
        return np.sin(_value(a))
    return _node(np.sin(a.value), (a, lambda g: mul(g, cos(a))))


def cos(a):
    if not _records(a):
        return np.cos(_value(a))
    return _node(np.cos(a.value), (a, lambda g: neg(mul(g, sin(a)))))


def tanh(a):
    if not _records(a):
        return np.tanh(_value(a))
    return _with_own_vjp(np.tanh(a.value), a, lambda g, out: mul(g, add(1.0, neg(mul(out, out)))))


def sqrt(a):
    if not _records(a):
        return np.sqrt(_value(a))
    return _with_own_vjp(np.sqrt(a.value), a, lambda g, out: mul(g, mul(0.5, reciprocal(out))))


def expm1(a):
    if not _records(a):
        return np.expm1(_value(a))
    return _with_own_vjp(np.expm1(a.value), a, lambda g, out: mul(g, add(out, 1.0)))


def log1p(a):
    if not _records(a):
        return np.log1p(_value(a))
    return _node(np.log1p(a.value), (a, lambda g: mul(g, reciprocal(add(a, 1.0)))))


def arcsinh(a):
    if not _records(a):
        return np.arcsinh(_value(a))
    return _node(np.arcsinh(a.value), (a, lambda g: mul(g, reciprocal(sqrt(add(mul(a, a), 1.0))))))


def arccosh(a):
    if not _records(a):
        return np.arccosh(_value(a))
    return _node(np.arccosh(a.value), (a, lambda g: mul(g, reciprocal(sqrt(add(mul(a, a), -1.0))))))


def arctanh(a):
    if not _records(a):
        return np.arctanh(_value(a))
    return _node(np.arctanh(a.value), (a, lambda g: mul(g, reciprocal(add(1.0, neg(mul(a, a)))))))


def erf(a):
    if not _records(a):
        return numpy_erf(_value(a))
    # erf′(u) = 2/√π · exp(−u²)
    return _node(numpy_erf(a.value), (a, lambda g: mul(g, mul(2 / np.sqrt(np.pi), exp(neg(mul(a, a)))))))


def sign(a):
    # Piecewise constant: no node, so its derivative is 0 (at 0 there is none; the reference says so).
    return np.sign(_value(a))


def maximum(a, b):
    return _select(a, b, np.greater_equal)


def minimum(a, b):
    return _select(a, b, np.less_equal)


def _select(a, b, keep_a: Callable):
    """a where keep_a(a, b), else b; the gradient flows to the entry kept (at a tie, to a: the
    derivative does not exist there, and the reference says so)."""
    if not _records(a, b):
        return np.where(keep_a(_value(a), _value(b)), _value(a), _value(b))
    a, b = lift(a), lift(b)
    kept = keep_a(a.value, b.value)
    to_a, to_b = kept.astype(np.float64), (~kept).astype(np.float64)
    return _node(np.where(kept, a.value, b.value),
                 (a, lambda g: unbroadcast(mul(g, to_a), a.shape)),
                 (b, lambda g: unbroadcast(mul(g, to_b), b.shape)))


def absolute(a):
    if not _records(a):
        return np.abs(_value(a))
    return _node(np.abs(a.value), (a, lambda g: mul(g, np.sign(a.value))))  # sign: 0 a.e. after


def logaddexp(a, b):
    if not _records(a, b):
        return np.logaddexp(_value(a), _value(b))
    a, b = lift(a), lift(b)
    out = Var(np.logaddexp(a.value, b.value))
    own = weakref.ref(out)  # as in _with_own_vjp
    out.parents = ((a, lambda g: unbroadcast(mul(g, exp(add(a, neg(own())))), a.shape)),
                   (b, lambda g: unbroadcast(mul(g, exp(add(b, neg(own())))), b.shape)))
    return out


def total(a, axis=None, keepdims: bool = False):
    if not _records(a):
        return np.sum(_value(a), axis=axis, keepdims=keepdims)
    return _node(np.sum(a.value, axis=axis, keepdims=keepdims),
                 (a, lambda g: spread(g, a.shape, axis, keepdims)))


def spread(g, shape: tuple, axis=None, keepdims: bool = False):
    """g broadcast back over the axes a sum removed (the vjp of `total`; its own vjp sums)."""
    if not _records(g):
        g = _value(g)
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, shape)
    return _node(spread(g.value, shape, axis, keepdims),
                 (g, lambda gg: total(gg, axis=axis, keepdims=keepdims)))


def maximum_of(a, axis=None, keepdims: bool = False):
    # The subgradient that sends everything to the first maximal entry, as torch and JAX do for max.
    value = _value(a)
    if axis is None:
        index = np.unravel_index(np.argmax(value), np.shape(value))
        return take(a, index)
    index = np.argmax(value, axis=axis, keepdims=True)
    picked = take_along(a, index, axis)
    return picked if keepdims else total(picked, axis=axis)  # sum over a length-1 axis: squeeze


def take_along(a, index: np.ndarray, axis: int):
    if not _records(a):
        return np.take_along_axis(_value(a), index, axis=axis)
    return _node(np.take_along_axis(a.value, index, axis=axis),
                 (a, lambda g: put_along(g, index, axis, a.shape)))


def put_along(g, index: np.ndarray, axis: int, shape: tuple):
    """Zeros of `shape` with g placed at `index` along `axis` (the vjp of `take_along`)."""
    if not _records(g):
        out = np.zeros(shape, dtype=np.result_type(_value(g), float))
        np.put_along_axis(out, index, _value(g), axis=axis)
        return out
    return _node(put_along(g.value, index, axis, shape), (g, lambda gg: take_along(gg, index, axis)))


def take(a, index):
    if not _records(a):
        return _value(a)[index]
    return _node(a.value[index], (a, lambda g: put(g, index, a.shape)))


def put(g, index, shape: tuple):
    """Zeros of `shape` with g added at `index` (the vjp of `take`; its own vjp takes)."""
    if not _records(g):
        out = np.zeros(shape, dtype=np.result_type(_value(g), float))
        np.add.at(out, index, _value(g))
        return out
    return _node(put(g.value, index, shape), (g, lambda gg: take(gg, index)))


# The namespace programs get from array_namespace(var): a module, as array_api_compat expects.
ops = ModuleType("lab.backends.tape.ops", "The array-API functions the tape implements.")
ops.__dict__.update(
    exp=exp, log=log, sin=sin, cos=cos, tanh=tanh, sqrt=sqrt, abs=absolute, sum=total,
    max=maximum_of, logaddexp=logaddexp, expm1=expm1, log1p=log1p, asinh=arcsinh, acosh=arccosh,
    atanh=arctanh, arcsinh=arcsinh, arccosh=arccosh, arctanh=arctanh, erf=erf, sign=sign,
    maximum=maximum, minimum=minimum,
    asarray=lambda x, **kw: np.asarray(x.value if isinstance(x, Var) else x),
    zeros_like=lambda x, **kw: np.zeros_like(x.value if isinstance(x, Var) else x),
    float64=np.float64,
)


def backward(out: Var, seed, create_graph: bool = False) -> dict[int, np.ndarray | Var]:
    """Adjoints ∂(seed · out)/∂v for every v on the tape, keyed by id(v): plain arrays, or with
    `create_graph` Vars recorded on the tape (differentiable again, as torch's create_graph)."""
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
    with recording(create_graph):
        for node in reversed(order):
            g = grads.get(id(node))
            if g is None:
                continue
            for parent, vjp in node.parents:
                contribution = vjp(g)
                previous = grads.get(id(parent))
                grads[id(parent)] = contribution if previous is None else add(previous, contribution)
    return grads


def grad_of(program: Callable, x: np.ndarray, seed=1.0) -> np.ndarray:
    """∂(seed · program(x))/∂x, one reverse sweep."""
    v = Var(np.asarray(x, dtype=np.float64))
    out = lift(program(v))
    g = backward(out, np.broadcast_to(seed, out.shape)).get(id(v))
    return np.zeros_like(v.value) if g is None else np.asarray(_value(g), dtype=np.float64)


def derivatives(program: Callable, x: np.ndarray, order: int) -> np.ndarray:
    """The `order`-th derivative of an elementwise program at every point of x: the sum trick
    ∂(Σᵢ d(xᵢ))/∂xᵢ = d′(xᵢ), repeated on a recorded backward pass."""
    v = Var(np.asarray(x, dtype=np.float64))
    d = program(v)
    for _ in range(order):
        if not isinstance(d, Var):  # the previous derivative did not depend on x: the next is 0
            return np.zeros_like(v.value)
        d = backward(lift(total(d)), 1.0, create_graph=True).get(id(v))
        if d is None:
            return np.zeros_like(v.value)
    return np.broadcast_to(np.asarray(_value(d), dtype=np.float64), v.shape)


def hessian_of(program: Callable, x: np.ndarray) -> np.ndarray:
    """∇²program(x): the gradient recorded once, then one reverse sweep per row."""
    v = Var(np.asarray(x, dtype=np.float64))
    g = backward(lift(program(v)), 1.0, create_graph=True).get(id(v))
    if not isinstance(g, Var):
        return np.zeros((len(x), len(x)))
    rows = [backward(lift(take(g, i)), 1.0).get(id(v)) for i in range(len(x))]
    return np.stack([np.zeros(len(x)) if r is None else np.asarray(_value(r), dtype=np.float64)
                     for r in rows])


class Tape(Method):
    """The numpy gradient tape: one reverse sweep per output."""

    backend, variant = "tape", "reverse"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        if order == 1:
            return grad_of(lambda v: total(f.program(v)), x)  # Σᵢ f(xᵢ) has ∂/∂xᵢ = f'(xᵢ)
        return derivatives(f.program, x, order)

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return grad_of(f.program, x)

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        m = np.size(np.asarray(lift(f.program(Var(x))).value))
        return np.stack([grad_of(f.program, x, seed) for seed in np.eye(m)])

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return hessian_of(f.program, x)


METHODS = (Tape(),)
