"""Typed row labels: every timed row of a sweep is a `Label` (library, mode, engine), so that pages
and the claims page select rows by field (`label.library == "torch"`, `label.mode == "forward"`),
never by matching strings. A registry method's label is derived from the registry itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from lab.backends import FAMILIES, backend_of

# Origins of a row: a registry method's prepared call, a closed form of the exercise (checked by the
# cross-check like any method), or a baseline that is not a derivative (the cost of writing n×n
# numbers). Nothing else is timed.
ORIGINS = ("registry", "closed form", "baseline")
# Registry methods that push tangents forward; every other AD method pulls cotangents back.
FORWARD = frozenset({"torch.func.jacfwd", "jax.jacfwd", "taylor.forward"})
# The AD method that builds a symbolic graph (CasADi SX) rather than recording a tape.
GRAPH = frozenset({"casadi.sx", "casadi.codegen"})
# The modes a row can have, in the order pages list them.
MODES = ("reverse", "forward", "graph", "symbolic", "numerical", "closed form", "baseline")


@dataclass(frozen=True)
class Label:
    """What a timed row is: its `library` (a registry backend, or "numpy" for closed forms and
    baselines), its `mode` (one of MODES) and its `engine` (the registry label
    "torch.func.jacrev", or the closed form's or baseline's name). `engine` is unique in a sweep
    and is the row's key in timings and JSON."""

    library: str
    mode: str
    engine: str
    origin: str = "registry"

    @property
    def key(self) -> str:
        """The row's key in timings and records."""
        return self.engine

    @property
    def differentiates(self) -> bool:
        """Whether the row computes a derivative by automatic differentiation."""
        return self.mode in ("reverse", "forward", "graph")

    def as_json(self) -> dict:
        """The fields as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Label:
        """Inverse of as_json."""
        return cls(**data)


def method_label(label: str) -> Label:
    """The Label of the registry method `label` ("jax.jacfwd"), from the registry's tables."""
    backend = backend_of(label)
    family = FAMILIES[backend]
    if family == "exact":
        mode = "symbolic"
    elif family == "numerical":
        mode = "numerical"
    else:
        mode = "forward" if label in FORWARD else "graph" if label in GRAPH else "reverse"
    return Label(backend, mode, label)


def closed_form_label(name: str) -> Label:
    """The Label of the exercise's closed form `name` (evaluated with numpy)."""
    return Label("numpy", "closed form", f"closed form {name}", "closed form")


def baseline_label(name: str) -> Label:
    """The Label of a baseline that computes no derivative (e.g. writing the output)."""
    return Label("numpy", "baseline", name, "baseline")


def select(labels, **fields) -> list[Label]:
    """The labels whose fields equal every given value (`select(ls, library="torch")`)."""
    return [label for label in labels if all(getattr(label, k) == v for k, v in fields.items())]
