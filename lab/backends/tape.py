"""A small reverse-mode AD written in numpy: a gradient tape, the lecture's "Beras" idea.

Running a program on `Var`s records, for every result, a `Node`: its parents and the local
vector-Jacobian product (vjp) of each, g ↦ g·∂out/∂parent. `backward` walks the nodes in reverse
topological order and sums the contributions. Each op is registered in `OPS` where it is defined,
its forward value and its vjp side by side; programs reach the ops through the array API
(`Var.__array_namespace__` returns `ops`, built from `OPS`).

A node keeps only what its vjps read: the value of an operand (mul keeps the other factor) or its
own output (exp), and nothing for a parent that needs no gradient (a constant). A `Var` holds its
value; once a program drops an intermediate `Var`, the tape does not keep that value alive.

Every vjp is written with the tape's own ops. For first derivatives the backward pass runs them on
plain arrays (nothing recorded); with `create_graph` it records them, so the backward pass is itself
a program on the tape and can be differentiated again: Hessians and k-th derivatives.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

from lab.backends.base import Method, Unsupported
from lab.backends.tape_graph import NOTHING, Node, Scatter, adjoints, is_recording
from lab.backends.translate import Registry
from lab.core.cases import Function
from lab.core.symbolic import numpy_erf

OPS = Registry()  # array-API name -> the tape's op, registered where each is defined
op = OPS.op


class Var:
    """A value on the tape: a float64 (or complex) array plus the node that records it.
    `Var(x)` is an input (gradients flow to it); ops make the others."""

    __slots__ = ("value", "node", "__weakref__")
    __array_priority__ = 100  # so that ndarray ⊕ Var calls Var's reflected operator

    def __init__(self, value, node: Node | None = None):
        self.value = np.asarray(value)
        if node is None:
            node = Node(value=self.value)
        if node.owner is None:
            node.owner = weakref.ref(self)
        self.node = node

    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    dtype = property(lambda self: self.value.dtype)
    parents = property(lambda self: self.node.parents)

    def __array_namespace__(self, api_version=None):
        return ops

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return subtract(self, other)

    def __rsub__(self, other):
        return subtract(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return divide(self, other)

    def __rtruediv__(self, other):
        return divide(other, self)

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
    """A constant (no gradient flows to it) unless x is already on the tape."""
    return x if isinstance(x, Var) else Var(x, Node(requires=False))


def _value(x):
    return x.value if isinstance(x, Var) else x


def _records(*args) -> bool:
    return is_recording() and any(isinstance(a, Var) for a in args)


def _kept(v: Var) -> Node:
    """v's node, keeping v's value for a vjp that reads it."""
    if v.node.value is NOTHING:
        v.node.value = v.value
    return v.node


def _saved(node: Node):
    """What a vjp reads from a node: its array, or when recording a Var on that node (so that the
    recorded backward pass reaches the inputs through it)."""
    return Var(node.value, node) if is_recording() else node.value


def _result(value, *edges: tuple[Var, Callable]) -> Var:
    """A recorded result with (parent, vjp) edges; vjp(g, node) gets the adjoint and the result's
    node. An edge to a parent that needs no gradient keeps no vjp."""
    parents = tuple((p.node, vjp if p.node.requires else None) for p, vjp in edges)
    return Var(value, Node(parents, any(vjp is not None for _, vjp in parents)))


def unbroadcast(g, shape: tuple):
    """Sum g over the axes broadcasting added, so it matches the parent's shape (a plain g that
    `_compact` left smaller is broadcast back instead)."""
    if np.shape(_value(g)) == shape:
        return g
    if not isinstance(g, Var) and np.broadcast_shapes(np.shape(g), shape) == shape:
        return np.broadcast_to(g, shape)
    while np.ndim(_value(g)) > len(shape):
        g = total(g, axis=0)
    axes = tuple(a for a, n in enumerate(shape) if n == 1 and np.shape(_value(g))[a] != 1)
    return total(g, axis=axes, keepdims=True) if axes else g


def _compact(g):
    """A plain adjoint that is one number broadcast (what the vjp of a sum gives) as that number,
    so that the vjp multiplying it costs one pass over the other factor, not two (first-order
    passes only: a recorded pass keeps every adjoint the shape of its node)."""
    if type(g) is np.ndarray and g.ndim and g.size and not any(g.strides) and not is_recording():
        return g[(0,) * g.ndim]
    return g


def _unary(a, forward: Callable, derivative: Callable, of_output: bool = False):
    """forward elementwise, with vjp g·derivative(a), or g·derivative(out) when `of_output`;
    `derivative` is written with the tape's ops."""
    if not _records(a):
        return forward(_value(a))
    if of_output:
        out = _result(forward(a.value), (a, lambda g, node: mul(_compact(g), derivative(_saved(node)))))
        _kept(out)
        return out
    kept = _kept(a) if a.node.requires else None
    return _result(forward(a.value), (a, lambda g, node: mul(_compact(g), derivative(_saved(kept)))))


@op("add")
def add(a, b):
    if not _records(a, b):
        return _value(a) + _value(b)
    a, b = lift(a), lift(b)
    sa, sb = a.shape, b.shape  # the vjps keep shapes, not the operands
    return _result(a.value + b.value, (a, lambda g, _: unbroadcast(g, sa)),
                   (b, lambda g, _: unbroadcast(g, sb)))


@op("subtract")
def subtract(a, b):
    if not _records(a, b):
        return _value(a) - _value(b)
    a, b = lift(a), lift(b)
    sa, sb = a.shape, b.shape
    return _result(a.value - b.value, (a, lambda g, _: unbroadcast(g, sa)),
                   (b, lambda g, _: neg(unbroadcast(g, sb))))  # sum first: the sum is smaller


@op("multiply")
def mul(a, b):
    if not _records(a, b):
        return _value(a) * _value(b)
    a, b = lift(a), lift(b)
    ka = _kept(a) if b.node.requires else None  # each factor is read by the other's vjp only
    kb = _kept(b) if a.node.requires else None
    sa, sb = a.shape, b.shape
    return _result(a.value * b.value,
                   (a, lambda g, _: unbroadcast(mul(_compact(g), _saved(kb)), sa)),
                   (b, lambda g, _: unbroadcast(mul(_compact(g), _saved(ka)), sb)))


@op("divide")
def divide(a, b):
    if not _records(a, b):
        return _value(a) / _value(b)
    a, b = lift(a), lift(b)
    kb, sa, sb = _kept(b), a.shape, b.shape
    out = _result(a.value / b.value, (a, lambda g, _: unbroadcast(divide(g, _saved(kb)), sa)),
                  (b, lambda g, node: unbroadcast(neg(mul(g, divide(_saved(node), _saved(kb)))), sb)))
    if b.node.requires:
        _kept(out)  # ∂(a/b)/∂b = −out/b
    return out


@op("negative")
def neg(a):
    if not _records(a):
        return -_value(a)
    return _result(-a.value, (a, lambda g, _: neg(g)))


@op("reciprocal")
def reciprocal(a):
    return _unary(a, lambda x: 1.0 / x, lambda out: neg(mul(out, out)), of_output=True)


@op("pow")
def power(a, k: float):
    if isinstance(k, Var):
        raise Unsupported("the tape raises to constant powers only")
    if not _records(a):
        return _value(a) ** k
    if k == 2:  # g·2x as (2g)·x: one pass over x when g is one number (`_compact`)
        kept = _kept(a) if a.node.requires else None
        return _result(a.value * a.value, (a, lambda g, _: mul(mul(_compact(g), 2.0), _saved(kept))))
    return _unary(a, lambda x: x**k, lambda x: mul(k, power(x, k - 1)))


@op("exp")
def exp(a):
    return _unary(a, np.exp, lambda out: out, of_output=True)


@op("log")
def log(a):
    return _unary(a, np.log, reciprocal)


@op("sin")
def sin(a):
    return _unary(a, np.sin, cos)


@op("cos")
def cos(a):
    return _unary(a, np.cos, lambda x: neg(sin(x)))


@op("tanh")
def tanh(a):
    return _unary(a, np.tanh, lambda out: subtract(1.0, mul(out, out)), of_output=True)


@op("sqrt")
def sqrt(a):
    return _unary(a, np.sqrt, lambda out: divide(0.5, out), of_output=True)


@op("expm1")
def expm1(a):
    return _unary(a, np.expm1, lambda out: add(out, 1.0), of_output=True)


@op("log1p")
def log1p(a):
    return _unary(a, np.log1p, lambda x: reciprocal(add(x, 1.0)))


@op("asinh", "arcsinh")
def arcsinh(a):
    return _unary(a, np.arcsinh, lambda x: reciprocal(sqrt(add(mul(x, x), 1.0))))


@op("acosh", "arccosh")
def arccosh(a):
    return _unary(a, np.arccosh, lambda x: reciprocal(sqrt(subtract(mul(x, x), 1.0))))


@op("atanh", "arctanh")
def arctanh(a):
    return _unary(a, np.arctanh, lambda x: reciprocal(subtract(1.0, mul(x, x))))


@op("erf")
def erf(a):
    # erf′(u) = 2/√π · exp(−u²)
    return _unary(a, numpy_erf, lambda x: mul(2 / np.sqrt(np.pi), exp(neg(mul(x, x)))))


@op("abs")
def absolute(a):
    return _unary(a, np.abs, sign)  # sign records nothing: its own derivative is 0 a.e.


@op("sign")
def sign(a):
    # Piecewise constant: no node, so its derivative is 0 (at 0 there is none; the reference says so).
    return np.sign(_value(a))


@op("maximum")
def maximum(a, b):
    return _select(a, b, np.greater_equal)


@op("minimum")
def minimum(a, b):
    return _select(a, b, np.less_equal)


def _select(a, b, keep_a: Callable):
    """a where keep_a(a, b), else b; the gradient flows to the entry kept (at a tie, to a: the
    derivative does not exist there, and the reference says so)."""
    if not _records(a, b):
        return np.where(keep_a(_value(a), _value(b)), _value(a), _value(b))
    a, b = lift(a), lift(b)
    kept, sa, sb = keep_a(a.value, b.value), a.shape, b.shape
    return _result(np.where(kept, a.value, b.value),
                   (a, lambda g, _: unbroadcast(mul(g, kept.astype(np.float64)), sa)),
                   (b, lambda g, _: unbroadcast(mul(g, (~kept).astype(np.float64)), sb)))


@op("logaddexp")
def logaddexp(a, b):
    if not _records(a, b):
        return np.logaddexp(_value(a), _value(b))
    a, b = lift(a), lift(b)
    ka, kb, sa, sb = _kept(a), _kept(b), a.shape, b.shape
    out = _result(np.logaddexp(a.value, b.value),
                  (a, lambda g, node: unbroadcast(mul(g, exp(subtract(_saved(ka), _saved(node)))), sa)),
                  (b, lambda g, node: unbroadcast(mul(g, exp(subtract(_saved(kb), _saved(node)))), sb)))
    _kept(out)
    return out


@op("sum")
def total(a, axis=None, keepdims: bool = False):
    if not _records(a):
        return np.sum(_value(a), axis=axis, keepdims=keepdims)
    shape = a.shape
    return _result(np.sum(a.value, axis=axis, keepdims=keepdims),
                   (a, lambda g, _: spread(g, shape, axis, keepdims)))


def spread(g, shape: tuple, axis=None, keepdims: bool = False):
    """g broadcast back over the axes a sum removed (the vjp of `total`; its own vjp sums)."""
    if not _records(g):
        g = _value(g)
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, shape)
    return _result(spread(g.value, shape, axis, keepdims),
                   (g, lambda gg, _: total(gg, axis=axis, keepdims=keepdims)))


@op("reshape")
def reshape(a, shape: tuple):
    if not _records(a):
        return np.reshape(_value(a), shape)
    before = a.shape
    return _result(np.reshape(a.value, shape), (a, lambda g, _: reshape(g, before)))


@op("max")
def maximum_of(a, axis=None, keepdims: bool = False):
    """The largest entry (along `axis`); its vjp sends the adjoint to the first maximal entry, the
    subgradient torch and JAX pick."""
    if not _records(a) or not a.node.requires:
        return np.max(_value(a), axis=axis, keepdims=keepdims)
    shape = a.shape
    if axis is None:
        index = np.unravel_index(np.argmax(a.value), shape)
        return _result(a.value[index], (a, lambda g, _: put(g, index, shape)))
    index = np.argmax(a.value, axis=axis, keepdims=True)  # positions: all the vjp keeps
    value = np.take_along_axis(a.value, index, axis=axis)

    def vjp(g, _):
        return put_along(g if keepdims else reshape(g, index.shape), index, axis, shape)

    return _result(value if keepdims else np.squeeze(value, axis=axis), (a, vjp))


def take_along(a, index: np.ndarray, axis: int):
    """a's entries at `index` along `axis` (its vjp puts them back)."""
    if not _records(a):
        return np.take_along_axis(_value(a), index, axis=axis)
    shape = a.shape
    return _result(np.take_along_axis(a.value, index, axis=axis),
                   (a, lambda g, _: put_along(g, index, axis, shape)))


def put_along(g, index: np.ndarray, axis: int, shape: tuple):
    """Zeros of `shape` with g placed at `index` along `axis` (the vjp of `take_along`)."""
    if not _records(g):
        scatter = Scatter(shape, _value(g), index, axis)
        return scatter if not is_recording() else scatter.dense()  # a recorded pass adds Vars
    return _result(put_along(g.value, index, axis, shape),
                   (g, lambda gg, _: take_along(gg, index, axis)))


def take(a, index):
    """a[index] (its vjp puts the adjoint back)."""
    if not _records(a):
        return _value(a)[index]
    shape = a.shape
    return _result(a.value[index], (a, lambda g, _: put(g, index, shape)))


def put(g, index, shape: tuple):
    """Zeros of `shape` with g added at `index` (the vjp of `take`; its own vjp takes)."""
    if not _records(g):
        scatter = Scatter(shape, _value(g), index)
        return scatter if not is_recording() else scatter.dense()
    return _result(put(g.value, index, shape), (g, lambda gg, _: take(gg, index)))


op("asarray")(lambda x, **kw: np.asarray(_value(x)))
op("zeros_like")(lambda x, **kw: np.zeros_like(_value(x)))
OPS["float64"] = np.float64

# The namespace programs get from array_namespace(var): a module, as array_api_compat expects.
ops = OPS.namespace("lab.backends.tape.ops", "The array-API functions the tape implements.")


def backward(out: Var, seed, create_graph: bool = False) -> dict[int, np.ndarray | Var]:
    """Adjoints ∂(seed · out)/∂v for every Var v still alive that out depends on, keyed by id(v):
    plain arrays, or with `create_graph` Vars recorded on the tape (differentiable again, as
    torch's create_graph). An adjoint no live Var needs is freed as soon as it is used."""
    return adjoints(out.node, np.asarray(seed, dtype=np.result_type(float, out.value)), create_graph, add)


def grad_of(program: Callable, x: np.ndarray, seed=1.0) -> np.ndarray:
    """∂(seed · program(x))/∂x, one reverse sweep."""
    v = Var(np.asarray(x, dtype=np.float64))
    out = lift(program(v))
    g = backward(out, np.broadcast_to(seed, out.shape)).get(id(v))
    if g is None:
        return np.zeros_like(v.value)
    g = np.asarray(g, dtype=np.float64)
    return g if g.flags.writeable else g.copy()  # an adjoint may be a broadcast view


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
