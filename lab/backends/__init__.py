"""The registry of ways to differentiate. Adding a backend = one module with `METHODS` + one entry
in `MODULES` and `VARIANTS`. Backends are imported only when their methods are asked for, so that
naming and validating them costs nothing (torch and JAX take seconds to import)."""

from __future__ import annotations

import importlib

from lab.backends.base import EPS, Estimated, Family, Method, compute
from lab.errors import Unsupported

MODULES: dict[str, str] = {
    "sympy": "lab.backends.symbolic",
    "finite": "lab.backends.finite",
    "torch": "lab.backends.torch_ad",
    "jax": "lab.backends.jax_ad",
    "tape": "lab.backends.tape",
    "taylor": "lab.backends.taylor",
    "tensorflow": "lab.backends.tensorflow_ad",
    "autograd": "lab.backends.autograd_ad",
    "symengine": "lab.backends.symengine_sym",
    "casadi": "lab.backends.casadi_sx",
    "numdifftools": "lab.backends.numdifftools_fd",
}
# The variants each module defines, known without importing it (a test checks they match).
VARIANTS: dict[str, tuple[str, ...]] = {
    "sympy": ("lambdify",),
    "finite": ("forward", "central", "5-point", "complex_step", "adaptive"),
    "torch": ("autograd", "func.jacrev", "func.jacfwd", "compile"),
    "jax": ("grad", "jacfwd", "jit"),
    "tape": ("reverse",),
    "taylor": ("forward",),
    "tensorflow": ("tape", "jacobian", "function"),
    "autograd": ("grad", "jacobian"),
    "symengine": ("lambdify",),
    "casadi": ("sx", "codegen"),
    "numdifftools": ("richardson",),
}
BACKENDS: tuple[str, ...] = tuple(MODULES)


def methods_of(backend: str) -> tuple[Method, ...]:
    """The methods of one backend (imports its module)."""
    return importlib.import_module(MODULES[backend]).METHODS


def select(names: list[str] | None = None) -> list[Method]:
    """The methods named by backend ("finite") or backend.variant ("finite.central"); all when
    `names` is empty. Only the backends named are imported."""
    wanted = [b for b in BACKENDS if not names or b in names
              or any(f"{b}.{v}" in names for v in VARIANTS[b])]
    return [m for b in wanted for m in methods_of(b)
            if not names or m.backend in names or m.label in names]


def valid_names() -> list[str]:
    """Every name `select` accepts, plus "closed_form"."""
    return [*BACKENDS, *(f"{b}.{v}" for b, vs in VARIANTS.items() for v in vs), "closed_form"]


def __getattr__(name: str):
    if name == "METHODS":  # every method, importing every backend
        return tuple(select())
    raise AttributeError(name)


__all__ = ["BACKENDS", "EPS", "METHODS", "Estimated", "Family", "Method", "Unsupported", "compute",
           "select", "valid_names"]
