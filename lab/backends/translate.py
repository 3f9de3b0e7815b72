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

The table is one: `FUNCTIONS` names each SymPy function by its array-API name, and `table(lookup)`
turns it into a library's table by looking each name up there — SymEngine's and CasADi's modules,
or the `Registry` into which the tape and forward mode register each op where it is defined.
`program` runs an expression on such a table: the generated programs of the tape and forward mode.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import sympy as sp

from lab.core.symbolic import NUMPY_MODULES, LogSumExp, expm1, log1p
from lab.errors import Unsupported

# Every SymPy function a library may be asked for, by its array-API name (sqrt is Pow(u, 1/2)).
FUNCTIONS: dict[type, str] = {
    sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.asin: "asin",
    sp.acos: "acos", sp.atan: "atan", sp.sinh: "sinh", sp.cosh: "cosh", sp.tanh: "tanh",
    sp.asinh: "asinh", sp.acosh: "acosh", sp.atanh: "atanh", sp.sign: "sign", sp.erf: "erf",
    sp.gamma: "gamma", sp.Abs: "abs", expm1: "expm1", log1p: "log1p", sp.Max: "maximum",
    sp.Min: "minimum",
}
VARIADIC = ("maximum", "minimum")  # SymPy's Max and Min take any number of arguments


class Registry(dict):
    """A library's functions by array-API name, each registered where it is defined:
    `@registry.op("asinh", "arcsinh")` above its definition."""

    def op(self, *names: str) -> Callable[[Callable], Callable]:
        """Register the decorated function under each of `names`."""

        def register(function: Callable) -> Callable:
            for name in names:
                self[name] = function
            return function

        return register

    def namespace(self, name: str, doc: str) -> ModuleType:
        """The registered functions as a module (what `array_namespace` gives a program)."""
        module = ModuleType(name, doc)
        module.__dict__.update(self)
        return module


def _folded(function: Callable) -> Callable:
    return lambda *arguments: functools.reduce(function, arguments)


def table(lookup: Callable[[str], Callable | None]) -> dict[type, Callable]:
    """The SymPy→library table: +, ×, powers (u^½ as the library's sqrt where it has one), and each
    function of `FUNCTIONS` that `lookup` finds by its array-API name."""
    sqrt = lookup("sqrt")

    def power(base, exponent):
        return sqrt(base) if sqrt is not None and isinstance(exponent, float) and exponent == 0.5 \
            else base**exponent

    out: dict[type, Callable] = {sp.Add: _folded(operator.add), sp.Mul: _folded(operator.mul),
                                 sp.Pow: power}
    for node, name in FUNCTIONS.items():
        function = lookup(name)
        if function is not None:
            out[node] = _folded(function) if name in VARIADIC else function
    return out


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


def program(expr: sp.Expr, variables: tuple[sp.Symbol, ...], functions: dict[type, Callable],
            library: str) -> Callable:
    """A function of the variables' values computing expr with `functions` (a `table`): the tree
    translated once into steps, each shared subtree a single step; float64 constants."""
    steps: list[tuple[Callable, tuple]] = []
    index = {v: i for i, v in enumerate(variables)}

    def leaf(node: sp.Expr) -> tuple:
        if node in index:
            return ("variable", index[node])
        if node.is_Symbol:
            raise Unsupported(f"{library} programs are of {', '.join(map(str, variables))} only, not "
                              f"{node}")
        try:
            return ("constant", float(node))
        except TypeError:
            raise Unsupported(f"{library} programs take real constants only, not {node}") from None

    def deferred(function: Callable) -> Callable:
        def step(*arguments: tuple) -> tuple:
            steps.append((function, arguments))
            return ("step", len(steps) - 1)

        return step

    result = translate(expr, leaf, {k: deferred(f) for k, f in functions.items()}, library)

    def run(*values):
        done: list = []

        def get(ref: tuple):
            kind, i = ref
            return values[i] if kind == "variable" else i if kind == "constant" else done[i]

        for function, arguments in steps:
            done.append(function(*map(get, arguments)))
        return get(result)

    return run
