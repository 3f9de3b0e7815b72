"""The tape's record and its backward pass: `Node`s, what each keeps, and how adjoints add up.

A node holds its parents with their vjps, the array its vjps read (or NOTHING) and, weakly, the
`Var` it belongs to. `adjoints` walks the nodes a gradient flows through in reverse topological
order. In a first-order pass (nothing recorded) the adjoints are plain arrays, and an adjoint array
that only the pass holds is added to in place: fan-in costs a pass per contribution and no new
array, and a `Scatter` (the vjp of indexing) adds only the entries it touches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

NOTHING = np.empty(0)  # what a node keeps when no vjp reads its value


class Node:
    """A recorded value: its parents with their vjps (None where a parent needs no gradient),
    whether a gradient flows through it, the array its vjps read (`value`, or NOTHING) and the
    Var it belongs to (weakly: the adjoints of live Vars are what `backward` returns)."""

    __slots__ = ("parents", "requires", "value", "owner")

    def __init__(self, parents: tuple = (), requires: bool = True, value=NOTHING):
        self.parents, self.requires, self.value, self.owner = parents, requires, value, None


# While a backward pass runs for first derivatives only, nothing needs recording: the tape's ops
# then compute on plain arrays. With create_graph the backward pass is recorded like any program,
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


def is_recording() -> bool:
    """Whether ops on Vars are recorded now."""
    return _recording[0]


class Scatter:
    """Zeros of `shape` with `values` added at `index` (along `axis`, or as a[index] when axis is
    None), not yet written out: what `put` and `put_along` give in a first-order backward pass, so
    that adding it to an adjoint costs the entries it touches, not a pass over the array."""

    def __init__(self, shape: tuple, values, index, axis: int | None = None):
        self.shape, self.values, self.index, self.axis = shape, values, index, axis

    def into(self, out: np.ndarray) -> np.ndarray:
        """out with the values added in place."""
        index = self.index
        if self.axis is not None:  # along an axis: the other axes' positions are the index's own
            index = list(np.indices(np.shape(index), sparse=True))
            index[self.axis] = self.index
            index = tuple(index)
        np.add.at(out, index, self.values)
        return out

    def dense(self) -> np.ndarray:
        """The array itself."""
        return self.into(np.zeros(self.shape, dtype=np.result_type(self.values, float)))


def _order(out: Node) -> list[Node]:
    """The nodes a gradient flows through, each after all of its parents (depth-first, without
    recursion: deep graphs must not hit the recursion limit)."""
    order, seen, stack = [], set(), [(out, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p, vjp in node.parents if vjp is not None)
    return order


class _Adjoints:
    """The adjoints a backward pass accumulates, by node. In a first-order pass an adjoint array
    that only this object holds ("own") is added to in place, so that fan-in costs one pass per
    contribution and no new array; a Scatter is added entry by entry."""

    def __init__(self, create_graph: bool, add: Callable):
        self.create_graph, self.recorded_add, self.grads, self.own = create_graph, add, {}, set()

    def add(self, node: Node, c, own: bool = False) -> None:
        """Add contribution c to node's adjoint; `own`: nobody else holds c."""
        key, previous = id(node), self.grads.get(id(node))
        if previous is None:
            self.grads[key] = c
            if own and not self.create_graph:
                self.own.add(id(c))
            return
        if self.create_graph:
            self.grads[key] = self.recorded_add(previous, c)
            return
        mine = id(previous) in self.own
        if isinstance(previous, Scatter):
            previous, c, mine = c, previous, own
        if isinstance(c, Scatter):
            if isinstance(previous, Scatter):
                total_ = previous.dense()
            elif mine and _writable(previous, c.values, c.shape):
                total_ = previous
            else:
                total_ = np.array(np.broadcast_to(previous, c.shape),
                                  dtype=np.result_type(previous, c.values, float))
            total_ = c.into(total_)
        elif mine and _writable(previous, c, np.shape(c)):
            total_ = np.add(previous, c, out=previous)
        elif own and _writable(c, previous, np.shape(previous)):
            total_ = np.add(c, previous, out=c)
        else:
            total_ = previous + c
        self.own.discard(id(previous))
        self.grads[key] = total_
        self.own.add(id(total_))

    def pop(self, node: Node):
        """node's adjoint, written out, and whether only this object held it."""
        g = self.grads.pop(id(node), None)
        own = id(g) in self.own
        self.own.discard(id(g))
        return (g.dense(), True) if isinstance(g, Scatter) else (g, own)


def _writable(array, other, shape: tuple) -> bool:
    """Whether `other` (of `shape`) can be added into `array` in place."""
    return (type(array) is np.ndarray and array.flags.writeable
            and np.result_type(array, other) == array.dtype
            and np.broadcast_shapes(array.shape, shape) == array.shape)


def _fresh(c, g) -> bool:
    """Whether a vjp's result c is a new array of its own (not g, nor a view of anything)."""
    return c is not g and type(c) is np.ndarray and c.base is None


def adjoints(out: Node, seed: np.ndarray, create_graph: bool, add: Callable) -> dict:
    """The adjoints of every node out depends on whose Var is alive, keyed by id(Var): `add` adds
    two recorded adjoints (a recorded pass); a node's adjoint is freed once its vjps have run."""
    grads = _Adjoints(create_graph, add)
    grads.add(out, seed)
    found = {}
    with recording(create_graph):
        for node in reversed(_order(out)):
            g, own = grads.pop(node)
            if g is None:
                continue
            owner = node.owner()
            if owner is not None:
                found[id(owner)] = g
                own = False
            edges = [(parent, vjp(g, node)) for parent, vjp in node.parents if vjp is not None]
            # g passes on in place to the one parent that receives it unchanged, if only we held it
            handed = own and sum(c is g for _, c in edges) == 1 and not any(
                c is not g and isinstance(c, np.ndarray) and np.may_share_memory(c, g)
                for _, c in edges)
            for parent, c in edges:
                grads.add(parent, c, _fresh(c, g) or (handed and c is g))
    return found
