"""`lab check` and `lab.check`: every backend (or those named) on every exercise (or those named)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lab import backends as registry
from lab.check.crosscheck import SECONDS, Unit, in_workers
from lab.core.results import Result
from lab.errors import LabError
from lab.workers import Pool
from lab.workers.session import session

TIMEOUT = 30.0


def labels_of(backends: Iterable[str] | None) -> list[str]:
    """The method labels that backend or variant names select (all for None); unknown names are
    a LabError listing the valid ones."""
    names = None if backends is None else list(backends)
    unknown = [n for n in names or () if n not in registry.valid_names()]
    if unknown:
        raise LabError(f"unknown backend {unknown[0]!r}; choose from: {', '.join(registry.valid_names())}")
    return registry.labels(names)


def check(exercises: Iterable[str] | None = None, backends: Iterable[str] | None = None,
          closed_forms: bool | None = None, timeout: float | None = TIMEOUT, jobs: int | None = None,
          progress: Callable | None = None, workers: Pool | None = None) -> Result:
    """The cross-check of every backend (or those named) on every exercise (or those named): one
    row per case, method and order, each against the certified reference. Closed forms are
    included when no backend is named, or when "closed_form" is."""
    from lab.exercises import EXERCISES

    names = list(dict.fromkeys(exercises)) if exercises else list(EXERCISES)
    unknown = [n for n in names if n not in EXERCISES]
    if unknown:
        raise LabError(f"unknown exercise {unknown[0]!r}; choose from: {', '.join(EXERCISES)}")
    chosen = list(backends) if backends is not None else None
    closed = (not chosen or "closed_form" in chosen) if closed_forms is None else closed_forms
    methods = [b for b in chosen or () if b != "closed_form"]
    labels = labels_of(methods or None) if not chosen or methods else []
    from lab.workers.protocol import ExerciseCase

    units = [Unit(case, ExerciseCase(name, i)) for name in names for i, case in enumerate(EXERCISES[name]())]
    checked = in_workers(units, labels, workers or session(jobs, timeout), closed, SECONDS, progress)
    return Result("check", [row for c in checked for row in c.rows])
