"""The registry of ways to differentiate. Adding a backend = one module with `METHODS` + one line."""

from __future__ import annotations

from lab.backends import finite, jax_ad, symbolic, tape, torch_ad
from lab.backends.base import EPS, ROUNDING_TOLERANCE, Family, Method, Unsupported, compute

METHODS: tuple[Method, ...] = (
    *symbolic.METHODS,
    *finite.METHODS,
    *torch_ad.METHODS,
    *jax_ad.METHODS,
    *tape.METHODS,
)
BACKENDS: tuple[str, ...] = tuple(dict.fromkeys(m.backend for m in METHODS))


def select(names: list[str] | None = None) -> list[Method]:
    """The methods named by backend ("finite") or backend.variant ("finite.central")."""
    if not names:
        return list(METHODS)
    return [m for m in METHODS if m.backend in names or m.label in names]


def valid_names() -> list[str]:
    return [*BACKENDS, *(m.label for m in METHODS), "closed_form"]


__all__ = ["BACKENDS", "EPS", "METHODS", "ROUNDING_TOLERANCE", "Family", "Method", "Unsupported",
           "compute", "select", "valid_names"]
