"""A SymPy expression carried into another symbolic library (SymEngine, CasADi) through one table.

`translate` walks the tree bottom-up: numbers and symbols go through the library's `leaf`, every
other node through `table[type(node)]` applied to its translated arguments; a node type missing
from the table raises `Unsupported` naming it. Shared subtrees are translated once (the library's
graph keeps them shared).

SymPy's `LogSumExp` (softmax's log Σ exp z, kept whole so that it evaluates stably) exists in neither
library. `without_logsumexp` rewrites each one as c + log Σ exp(zᵢ − c) with a fresh parameter c:
equal to log Σ exp zᵢ for *every* c, so its derivatives in z, of any order, are exact with c held
fixed; evaluated with c = max zᵢ (`shift_function`), no exp overflows, which is the max-shift of
`lab.core.symbolic`'s numpy LogSumExp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from lab.core.symbolic import NUMPY_MODULES, LogSumExp
from lab.errors import Unsupported


@dataclass(frozen=True)
class Shift:
    """One LogSumExp's parameter c and the arguments whose maximum it takes at each point."""

    symbol: sp.Symbol
    arguments: tuple[sp.Expr, ...]


def without_logsumexp(expr) -> tuple[object, tuple[Shift, ...]]:
    """expr with every LogSumExp(z) replaced by c + log Σ exp(zᵢ − c), and the parameters c in the
    order they must be evaluated (inner ones first: an argument may contain an earlier c)."""
    shifts: list[Shift] = []
    seen: dict[sp.Expr, sp.Expr] = {}  # one parameter per distinct LogSumExp

    def rewrite(node: sp.Expr) -> sp.Expr:
        if not node.has(LogSumExp):
            return node
        if node not in seen:
            args = [rewrite(a) for a in node.args]
            if isinstance(node, LogSumExp):
                c = sp.Symbol(f"lab_lse_shift{len(shifts)}", real=True)
                shifts.append(Shift(c, tuple(args)))
                seen[node] = c + sp.log(sp.Add(*[sp.exp(a - c) for a in args]))
            else:
                seen[node] = node.func(*args)
        return seen[node]

    if not expr.has(LogSumExp):
        return expr, ()
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix(expr.shape[0], expr.shape[1],
                                  [rewrite(e) for e in expr]), tuple(shifts)
    return rewrite(expr), tuple(shifts)


def shift_function(shifts: tuple[Shift, ...], variables: tuple) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy function of the points (shape (m, len(variables))) giving each parameter c at each
    point, shape (m, number of shifts): the max of its LogSumExp's arguments there."""
    arguments = [sp.lambdify((*variables, *(s.symbol for s in shifts[:j])), list(shift.arguments),
                             modules=NUMPY_MODULES) for j, shift in enumerate(shifts)]

    def values(points: np.ndarray) -> np.ndarray:
        out = np.empty((points.shape[0], len(shifts)))
        columns = [points[:, i] for i in range(points.shape[1])]
        for j, args in enumerate(arguments):
            evaluated = np.broadcast_arrays(*args(*columns, *(out[:, i] for i in range(j))))
            out[:, j] = np.max(np.stack(evaluated), axis=0)
        return out

    return values


def translate(expr: sp.Expr, leaf: Callable[[sp.Expr], object], table: dict[type, Callable],
              library: str) -> object:
    """expr rebuilt in another library: `leaf` for numbers and symbols, `table[type(node)]` for
    every other node (applied to the translated arguments)."""
    done: dict[sp.Expr, object] = {}

    def walk(node: sp.Expr) -> object:
        if node in done:
            return done[node]
        if node.is_Atom:
            result = leaf(node)
        else:
            build = table.get(type(node))
            if build is None:
                name = getattr(type(node), "__name__", str(node.func))
                raise Unsupported(f"{library} has no counterpart of SymPy's {name}()")
            result = build(*[walk(a) for a in node.args])
        done[node] = result
        return result

    return walk(expr)
