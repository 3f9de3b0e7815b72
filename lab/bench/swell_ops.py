"""The size of what each registry backend evaluates for the derivative of a program written once
(the swell sweep's "operations"), counted per backend: SymPy's and SymEngine's count_ops of the
derivative after common-subexpression elimination (their lambdify/Lambdify run with cse), CasADi's
SX instructions that compute, the equations of JAX's jaxpr of grad, and the nodes of the
derivative's graph in torch (create_graph, without AccumulateGrad) and on the lab's tape.
Backends with no graph to count (finite differences, TensorFlow's tape) have no size."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

POINTS = np.linspace(0.05, 0.95, 64)  # inside (0, 1), where the logistic map stays


def _cse_ops(module, derivative) -> int:
    replacements, reduced = module.cse([derivative])
    return int(sum(module.count_ops(v) for _, v in replacements)
               + sum(module.count_ops(r) for r in reduced))


def _sympy(program: Callable, depth: int) -> int:
    import sympy as sp

    x = sp.Symbol("x")
    return _cse_ops(sp, sp.diff(program(x, depth), x))


def _symengine(program: Callable, depth: int) -> int:
    import symengine as se

    x = se.Symbol("x")
    return _cse_ops(se, se.diff(program(x, depth), x))


def _casadi(program: Callable, depth: int) -> int:
    import casadi as ca

    x = ca.SX.sym("x")
    f = ca.Function("derivative", [x], [ca.gradient(program(x, depth), x)])
    # Instructions that compute something: not the input, output and constant loads.
    skip = (ca.OP_INPUT, ca.OP_OUTPUT, ca.OP_CONST)
    return sum(f.instruction_id(k) not in skip for k in range(f.n_instructions()))


def _jax(program: Callable, depth: int) -> int:
    from lab.backends.jaxconfig import jax

    return len(jax.make_jaxpr(jax.grad(lambda v: program(v, depth)))(0.5).eqns)


def reachable(root, children: Callable) -> list:
    """Every node reachable from root (root included), each once."""
    seen, stack = {}, [root]
    while stack:
        node = stack.pop()
        if node is not None and id(node) not in seen:
            seen[id(node)] = node
            stack.extend(children(node))
    return list(seen.values())


def _torch(program: Callable, depth: int) -> int:
    import torch

    t = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(program(t, depth), t, create_graph=True)
    nodes = reachable(g.grad_fn, lambda n: [m for m, _ in n.next_functions])
    return sum(type(n).__name__ != "AccumulateGrad" for n in nodes)


def _tape(program: Callable, depth: int) -> int:
    from lab.backends import tape

    v = tape.Var(np.float64(0.5))
    d = tape.backward(program(v, depth), 1.0, create_graph=True)[id(v)]
    return sum(bool(n.parents) for n in reachable(d, lambda n: [p for p, _ in n.parents]))


COUNTERS: dict[str, Callable[[Callable, int], int]] = {
    "sympy": _sympy, "symengine": _symengine, "casadi": _casadi, "jax": _jax, "torch": _torch,
    "tape": _tape,
}


def operations(backend: str, program: Callable, depth: int) -> int | None:
    """The operations of backend's derivative of program(·, depth); None where none is counted."""
    counter = COUNTERS.get(backend)
    return None if counter is None else counter(program, depth)
