"""The registry of ways to differentiate. Adding a backend = one module with `METHODS` + one entry
in `MODULES`, `VARIANTS` and `FAMILIES` (or one `register` call). Backends are imported only where
their methods run — in a worker process of their own library (`WORKERS`), or in-process through
`select` — so that naming and validating them costs nothing (torch and JAX take seconds to import)."""

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
FAMILIES: dict[str, Family] = {
    "sympy": "exact", "symengine": "exact", "finite": "numerical", "numdifftools": "numerical",
    "torch": "ad", "jax": "ad", "tape": "ad", "taylor": "ad", "tensorflow": "ad", "autograd": "ad",
    "casadi": "ad",
}
# The worker process each backend runs in: one per library; those that need only numpy and SymPy
# share one. torch.compile has its own, so that its compiles run beside torch's other variants
# (on two cores or fewer the pool runs it in torch's: `lab.workers.pool.SHARED_WHEN_FEW_CORES`).
WORKERS: dict[str, str] = {"sympy": "numpy", "finite": "numpy", "tape": "numpy", "taylor": "numpy",
                           "torch.compile": "torch.compile"}
# What to install when a backend's library is missing: the extra of the distribution that has it.
EXTRAS: dict[str, str] = {"tensorflow": "backends", "autograd": "backends", "symengine": "backends",
                          "casadi": "backends", "numdifftools": "backends"}
DISTRIBUTION = "difflab"
BACKENDS: tuple[str, ...] = tuple(MODULES)


def register(backend: str, module: str, variants: tuple[str, ...], family: Family = "ad") -> None:
    """Add a backend: `module` defines METHODS with these variants. For one's own methods (and the
    tests' deliberately broken ones); they run in a worker of their own like the others."""
    global BACKENDS
    MODULES[backend], VARIANTS[backend], FAMILIES[backend] = module, tuple(variants), family
    BACKENDS = tuple(MODULES)


def unregister(backend: str) -> None:
    """Remove a backend `register` added."""
    global BACKENDS
    for table in (MODULES, VARIANTS, FAMILIES):
        table.pop(backend, None)
    BACKENDS = tuple(MODULES)


def methods_of(backend: str) -> tuple[Method, ...]:
    """The methods of one backend (imports its module)."""
    return importlib.import_module(MODULES[backend]).METHODS


def labels(names: list[str] | None = None) -> list[str]:
    """The labels ("backend.variant") that `names` select, in registry order, importing nothing:
    a backend name selects all its variants; no names select every one."""
    return [f"{b}.{v}" for b in BACKENDS for v in VARIANTS[b]
            if not names or b in names or f"{b}.{v}" in names]


def select(names: list[str] | None = None) -> list[Method]:
    """The methods named by backend ("finite") or backend.variant ("finite.central"); all when
    `names` is empty. Only the backends named are imported, in this process."""
    wanted = [b for b in BACKENDS if not names or b in names
              or any(f"{b}.{v}" in names for v in VARIANTS[b])]
    return [m for b in wanted for m in methods_of(b)
            if not names or m.backend in names or m.label in names]


def backend_of(label: str) -> str:
    """The backend of a label ("torch.func.jacrev" → "torch")."""
    return next(b for b in sorted(BACKENDS, key=len, reverse=True) if label.startswith(f"{b}."))


def worker_of(label: str) -> str:
    """The worker group a method runs in."""
    backend = backend_of(label)
    return WORKERS.get(label) or WORKERS.get(backend, backend)


def install_hint(module: str) -> str:
    """How to install what the backend in `module` needs."""
    backend = next((b for b, m in MODULES.items() if m == module), "")
    extra = EXTRAS.get(backend)
    return (f"install it with: pip install '{DISTRIBUTION}[{extra}]'" if extra
            else f"install it with: pip install {DISTRIBUTION}")


def valid_names() -> list[str]:
    """Every name `select` accepts, plus "closed_form"."""
    return [*BACKENDS, *(f"{b}.{v}" for b, vs in VARIANTS.items() for v in vs), "closed_form"]


def __getattr__(name: str):
    if name == "METHODS":  # every method, importing every backend
        return tuple(select())
    raise AttributeError(name)


__all__ = ["BACKENDS", "EPS", "FAMILIES", "METHODS", "Estimated", "Family", "Method", "Unsupported",
           "backend_of", "compute", "install_hint", "labels", "register", "select", "unregister",
           "valid_names",
           "worker_of"]
