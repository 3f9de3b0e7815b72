"""CasADi: the expression rebuilt as a graph of SX symbols and differentiated by CasADi's
algorithmic differentiation — a symbolic-AD hybrid: AD applied to an expression graph gives another
expression graph, which CasADi evaluates, differentiates again or writes out as C.

`casadi.jacobian` for Jacobians, `casadi.hessian` (which returns the Hessian and the gradient) for
Hessians, and `casadi.gradient` applied k times for d^k f/dx^k. A `casadi.Function` of the
derivative graph is evaluated at all points at once through `Function.map`:
  sx       CasADi's virtual machine interprets the graph
  codegen  CasADi writes the graph as C (the code `Function.generate` writes), compiles it with the
           system's C compiler and loads it (`jit` with the "shell" compiler): `Unsupported` where
           no compiler is installed. Compiling costs ≈ 0.2 s per derivative here (once: the
           compiled function is cached); evaluating the softmax Jacobian (n = 8) at 10,000 points
           then took 28 ms against the interpreter's 36 ms.

The exercise's SymPy expression is carried over node by node (`lab.backends.translate`); softmax's
LogSumExp becomes c + log Σ exp(zᵢ − c) with c an extra input set to max zᵢ at each point. A
function CasADi lacks is `Unsupported` with its name.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from collections.abc import Callable

import casadi as ca
import numpy as np
import sympy as sp

from lab.backends.base import Vectorized
from lab.backends.translate import shift_function, table, translate, without_logsumexp
from lab.core.cases import Function, order_of
from lab.errors import Unsupported

NAMES = {"abs": "fabs"}  # CasADi's name where it is not the array API's
TABLE = table(lambda name: getattr(ca, NAMES.get(name, name), None))
COMPILER = "gcc"  # what CasADi's "shell" compiler runs on Linux


def derivative_graph(expr, variables: tuple, kind: str, order: int) -> tuple[list[ca.SX], ca.SX, tuple]:
    """([inputs], the derivative as an SX graph, the LogSumExp shifts among the inputs): the
    variables as one SX vector, then the shifts' parameters as another (when there are any)."""
    plain, shifts = without_logsumexp(expr)
    v = ca.SX.sym("v", len(variables))
    c = ca.SX.sym("c", len(shifts))
    leaves = {**{s: v[i] for i, s in enumerate(variables)},
              **{s.symbol: c[j] for j, s in enumerate(shifts)}}

    def leaf(node: sp.Expr):
        return leaves[node] if node in leaves else float(node)

    if isinstance(plain, sp.MatrixBase):
        graph = ca.vertcat(*[translate(e, leaf, TABLE, "CasADi") for e in plain])
    else:
        graph = translate(plain, leaf, TABLE, "CasADi")
    if kind == "derivative":
        for _ in range(order):
            graph = ca.gradient(graph, v)
    elif kind == "gradient":
        graph = ca.gradient(graph, v)
    elif kind == "jacobian":
        graph = ca.jacobian(graph, v)
    else:
        graph, _ = ca.hessian(graph, v)
    return [v, c] if shifts else [v], graph, shifts


def compiled(expr, variables: tuple, kind: str, order: int,
             codegen: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy function of the points — shape (m,) for kind "derivative", else (m, n) — giving
    `kind` of expr at each, shape (m, …) float64: CasADi's derivative graph as a
    `casadi.Function`, interpreted, or compiled from generated C when `codegen`."""
    if codegen and shutil.which(COMPILER) is None:
        raise Unsupported(f"CasADi's code generation needs a C compiler ({COMPILER} not found)")
    return _compiled(expr, variables, kind, order, codegen)


@functools.cache
def _jit_directory() -> str:
    """This process's folder for CasADi's generated C and compiled libraries, removed at exit.
    CasADi would write them to the working directory and delete them only when their function is
    freed, which a cached function may never be before the interpreter ends."""
    path = tempfile.mkdtemp(prefix="lab-casadi-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.lru_cache(maxsize=512)
def _compiled(expr, variables: tuple, kind: str, order: int, codegen: bool) -> Callable:
    inputs, graph, shifts = derivative_graph(expr, variables, kind, order)
    options = {"jit": True, "compiler": "shell", "jit_name": "jit", "jit_cleanup": False,
               "jit_options": {"flags": ["-O2"], "directory": _jit_directory() + os.sep,
                               "cleanup": False}} if codegen else {}
    # Dense output: structural zeros (a Jacobian's sparsity) are written as 0.
    function = ca.Function(kind, inputs, [ca.densify(graph)], options)
    rows, columns = graph.shape
    shape = {"derivative": (), "gradient": (len(variables),)}.get(kind, (rows, columns))
    shift = shift_function(shifts, variables)

    def evaluate(points: np.ndarray) -> np.ndarray:
        points = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(len(points), -1))
        m = len(points)
        # CasADi stores matrices column-major and map(m) lays the m results side by side, so a
        # C-ordered (m, …) array has the memory layout of each input (n × m) and of the output
        # (rows × m·columns); the buffer API reads and writes them in place, where converting the
        # returned DM would cost ~100 ns per entry.
        arguments = [points, *([np.ascontiguousarray(shift(points))] if shifts else [])]
        out = np.empty((m, columns, rows))
        mapped = function.map(m)
        buffer, run = mapped.buffer()
        for i, a in enumerate(arguments):
            buffer.set_arg(i, memoryview(a.reshape(-1)))
        buffer.set_res(0, memoryview(out.reshape(-1)))
        run()
        return out.transpose(0, 2, 1).reshape(m, *shape)

    return evaluate


class CasadiSX(Vectorized):
    backend, family = "casadi", "ad"

    def __init__(self, variant: str, codegen: bool):
        self.variant, self.codegen = variant, codegen
        self.compiles = codegen

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        g = compiled(f.expr, f.variables, "derivative", order, self.codegen)
        return g(x).reshape(np.shape(x))

    def at_points(self, kind, f: Function, points: np.ndarray) -> np.ndarray:
        return compiled(f.expr, f.variables, kind, order_of(kind), self.codegen)(points)


METHODS = (CasadiSX("sx", codegen=False), CasadiSX("codegen", codegen=True))
