"""JAX in float64: grad / jacrev (reverse), jacfwd (forward), hessian, and the reverse mode
compiled with jit. Transformed functions are cached per program, so jit compiles once."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from lab.backends.base import Vectorized
from lab.backends.jaxconfig import jax, jnp
from lab.core.cases import Function


@functools.lru_cache(maxsize=512)
def transformed(program: Callable, kind: str, order: int, mode: str, jit: bool) -> Callable:
    """The JAX function computing `kind` of `program` at a batch of points (vmapped)."""
    rev = mode == "rev"
    if kind == "derivative":
        g = program
        for _ in range(order):
            g = jax.grad(g) if rev else jax.jacfwd(g)
        g = jax.vmap(g)
    elif kind in ("gradient", "jacobian"):
        g = jax.vmap(jax.jacrev(program) if rev else jax.jacfwd(program))
    else:  # hessian: reverse over reverse, or jax.hessian (forward over reverse)
        g = jax.vmap(jax.jacrev(jax.jacrev(program)) if rev else jax.hessian(program))
    return jax.jit(g) if jit else g


class Jax(Vectorized):
    backend = "jax"

    def __init__(self, variant: str, mode: str, jit: bool):
        self.variant, self.mode, self.jit = variant, mode, jit
        self.compiles = jit

    def _run(self, f: Function, x: np.ndarray, kind: str, order: int = 1) -> np.ndarray:
        g = transformed(f.program, kind, order, self.mode, self.jit)
        return np.asarray(g(jnp.asarray(x, dtype=jnp.float64)), dtype=np.float64)

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        return self._run(f, x, "derivative", order)

    def at_points(self, kind: str, f: Function, points: np.ndarray) -> np.ndarray:
        return self._run(f, points, kind, 2 if kind == "hessian" else 1)


METHODS = (Jax("grad", "rev", False), Jax("jacfwd", "fwd", False), Jax("jit", "rev", True))
