"""The lecture's graph e = (a + b)(b + 1) traced on the numpy tape: every node's value and adjoint."""

from __future__ import annotations

from lab.backends.tape import Var, backward


def trace(a: float, b: float) -> dict[str, tuple[float, float]]:
    """Every node of the graph: name -> (forward value, adjoint ∂e/∂node), from the numpy tape."""
    va, vb = Var(a), Var(b)
    c = va + vb
    d = vb + 1
    e = c * d
    adjoint = backward(e, 1.0)
    return {name: (float(node.value), float(adjoint.get(id(node), 0.0)))
            for name, node in (("a", va), ("b", vb), ("c = a + b", c), ("d = b + 1", d),
                               ("e = c·d", e))}
