"""The tools the swell sweep compares, each able to differentiate a program written once.

A tool builds the derivative of program(·, depth) as something that evaluates it at POINTS, and
counts the operations of what it built: SymPy and SymEngine (diff, then lambdify/Lambdify, with or
without common-subexpression elimination), CasADi's SX graph (symbolic expressions built by AD),
and the AD tools JAX, torch and the lab's tape, which run the program on arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import casadi as ca
import numpy as np
import symengine as se
import sympy as sp
import torch

from lab.backends import tape
from lab.backends.jaxconfig import jax, jnp

POINTS = np.linspace(0.05, 0.95, 64)  # inside (0, 1), where the logistic map stays


@dataclass
class Built:
    """A built derivative: fn(*args) gives it at POINTS; `graph` is what `Tool.ops` counts."""

    fn: Callable
    args: tuple
    graph: object = None


@dataclass(frozen=True)
class Tool:
    """One way of differentiating: how it builds, how its size is counted, its primal's library."""

    method: str
    kind: str  # "symbolic", "hybrid" (symbolic graph + AD) or "AD"
    library: str  # the primal its derivative/primal ratio is taken against
    build: Callable[[Callable, int], Built]
    ops: Callable[[Built, Callable, int], int]


def _sympy(cse: bool) -> Callable[[Callable, int], Built]:
    def build(program, depth):
        sp.core.cache.clear_cache()  # SymPy caches derivatives: time the work, not the cache
        x = sp.Symbol("x")
        d = sp.diff(program(x, depth), x)
        return Built(sp.lambdify(x, d, "numpy", cse=cse), (POINTS,), d)

    return build


def _symengine(cse: bool) -> Callable[[Callable, int], Built]:
    def build(program, depth):
        x = se.Symbol("x")
        d = se.diff(program(x, depth), x)
        return Built(se.Lambdify([x], [d], cse=cse), (POINTS,), d)

    return build


def _operations(module, cse: bool) -> Callable[[Built, Callable, int], int]:
    """count_ops of the derivative as a tree, or of the replacements + reduced form after cse."""

    def ops(built, program, depth):
        if not cse:
            return int(module.count_ops(built.graph))
        replacements, reduced = module.cse([built.graph])
        return int(sum(module.count_ops(v) for _, v in replacements)
                   + sum(module.count_ops(r) for r in reduced))

    return ops


def _casadi(program, depth):
    x = ca.SX.sym("x")
    f = ca.Function("derivative", [x], [ca.gradient(program(x, depth), x)])
    return Built(f, (POINTS[None, :],), f)  # a row: CasADi maps a scalar function over columns


def _casadi_ops(built, program, depth):
    # Instructions that compute something: not the input, output and constant loads.
    f, skip = built.graph, (ca.OP_INPUT, ca.OP_OUTPUT, ca.OP_CONST)
    return sum(f.instruction_id(k) not in skip for k in range(f.n_instructions()))


def _jax(program, depth):
    # Tracing, lowering and compiling. The lab turns on JAX's persistent compilation cache
    # (lab.backends.jaxconfig), so on a rerun the compile step may be a read from disk.
    x = jnp.asarray(POINTS)
    f = jax.jit(jax.vmap(jax.grad(lambda v: program(v, depth))))
    return Built(f.lower(x).compile(), (x,))


def _jax_ops(built, program, depth):
    return len(jax.make_jaxpr(jax.grad(lambda v: program(v, depth)))(0.5).eqns)


def _torch(program, depth):
    def derivative(t):
        t = t.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(program(t, depth).sum(), t)  # elementwise: ∂Σ/∂xᵢ = f'(xᵢ)
        return g

    return Built(derivative, (torch.from_numpy(POINTS),))


def _reachable(root, children: Callable) -> list:
    """Every node reachable from root (root included), each once."""
    seen, stack = {}, [root]
    while stack:
        node = stack.pop()
        if node is not None and id(node) not in seen:
            seen[id(node)] = node
            stack.extend(children(node))
    return list(seen.values())


def _torch_ops(built, program, depth):
    # The derivative's own graph (create_graph): the backward operations and the forward ones
    # they read; AccumulateGrad nodes only store into leaves.
    t = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(program(t, depth), t, create_graph=True)
    nodes = _reachable(g.grad_fn, lambda n: [m for m, _ in n.next_functions])
    return sum(type(n).__name__ != "AccumulateGrad" for n in nodes)


def _tape(program, depth):
    def derivative(x):
        v = tape.Var(x)
        return tape.backward(program(v, depth), np.ones_like(x))[id(v)]

    return Built(derivative, (POINTS,))


def _tape_ops(built, program, depth):
    v = tape.Var(np.float64(0.5))
    d = tape.backward(program(v, depth), 1.0, create_graph=True)[id(v)]
    return sum(bool(n.parents) for n in _reachable(d, lambda n: [p for p, _ in n.parents]))


TOOLS = (
    Tool("SymPy diff + lambdify", "symbolic", "numpy", _sympy(False), _operations(sp, False)),
    Tool("SymPy diff + cse + lambdify", "symbolic", "numpy", _sympy(True), _operations(sp, True)),
    Tool("SymEngine diff + Lambdify", "symbolic", "symengine", _symengine(False),
         _operations(se, False)),
    Tool("SymEngine diff + cse + Lambdify", "symbolic", "symengine", _symengine(True),
         _operations(se, True)),
    Tool("CasADi SX gradient", "hybrid", "casadi", _casadi, _casadi_ops),
    Tool("JAX jit(vmap(grad))", "AD", "jax", _jax, _jax_ops),
    Tool("torch autograd", "AD", "torch", _torch, _torch_ops),
    Tool("tape (lab, numpy reverse mode)", "AD", "numpy", _tape, _tape_ops),
)
