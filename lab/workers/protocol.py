"""What the command's process and a worker say to each other.

A `Task` names a computation: a case (through a recipe the worker rebuilds it from, since a
program is code, not data), a derivative order and what computes it — a backend variant, a closed
form, or the exact reference. An `Answer` carries the values (numpy arrays), the method's own error
estimate and tolerance policy, the time each phase took and the worker's peak memory, or why there
are no values: `unsupported`, `error`, `timeout` (naming the phase) or a crash.

Phases, each with its own limit: `import` (the library, once per worker), `prepare` (rebuilding the
case), `compile` (a compiling method's first call, which traces and compiles), `compute` (the values).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lab.core.cases import Case, Condition, Kind
from lab.core.compare import Policy

PHASES = ("import", "prepare", "compile", "compute")
REFERENCE = "reference"  # the label of the exact reference's tasks


@dataclass(frozen=True)
class ExerciseCase:
    """Case `index` of exercise `exercise`, as `lab.exercises.EXERCISES[exercise]()` builds it."""

    exercise: str
    index: int

    def build(self) -> Case:
        return _exercise_cases(self.exercise)[self.index]


def _exercise_cases(name: str) -> list[Case]:
    from lab.exercises import EXERCISES

    if name not in _BUILT:
        _BUILT[name] = EXERCISES[name]()
    return _BUILT[name]


_BUILT: dict[str, list[Case]] = {}


@dataclass(frozen=True)
class ExpressionCase:
    """A typed expression: the k-th derivative by `variables[0]` (kind "derivative") or the
    gradient/Hessian over all `variables`, at `points`."""

    name: str
    expr: Any
    variables: tuple
    domain: tuple[Condition, ...]
    kind: Kind
    points: np.ndarray
    order: int
    exact: tuple | None = None  # each point's typed coordinates, exact (SymPy numbers)

    def build(self) -> Case:
        from lab.backends.generated import function_of, vector_function_of

        if self.kind == "derivative":
            f = function_of(self.expr, self.variables[0], self.name, self.domain)
        else:
            f = vector_function_of(self.expr, self.variables, self.name, self.domain)
        return Case("diff", f, self.kind, self.points, (self.order,))


@dataclass(frozen=True)
class PickledCase:
    """A case holding the user's own programs, serialized by value where they are not importable
    (cloudpickle: a notebook's functions, lambdas)."""

    payload: bytes

    @staticmethod
    def of(case: Case) -> PickledCase:
        import cloudpickle

        return PickledCase(cloudpickle.dumps(case))

    def build(self) -> Case:
        return pickle.loads(self.payload)


@dataclass
class Task:
    """One computation for a worker. `group` names the worker (one per library), `module` the
    backend module to import there ("" for the reference and closed forms), `label` the method
    ("torch.compile", "closed_form.NAME", or REFERENCE). Tasks with equal `case_id` share a recipe,
    which a worker rebuilds once."""

    id: int
    group: str
    module: str
    label: str
    case_id: int
    recipe: ExerciseCase | ExpressionCase | PickledCase
    order: int
    reference_seconds: float | None = None  # the reference's own budget (it stops itself cleanly)


@dataclass
class Answer:
    """What a task produced. status: "values", "reference", "unsupported", "error" or "timeout"."""

    id: int
    status: str
    values: np.ndarray | None = None
    estimate: np.ndarray | None = None
    policy: Policy | None = None
    family: str = ""
    message: str = ""
    phase: str = ""
    seconds: dict[str, float] = field(default_factory=dict)  # per phase
    peak_rss: int | None = None  # bytes, the worker's peak so far
    reference: Any = None  # a lab.core.reference.Reference, for REFERENCE tasks

    @property
    def compile_seconds(self) -> float | None:
        return self.seconds.get("compile")

    @property
    def compute_seconds(self) -> float | None:
        return self.seconds.get("compute")
