"""The course's exercises, each defined once. `EXERCISES` maps a name to a builder of its cases."""

from __future__ import annotations

from collections.abc import Callable

from lab.core.cases import Case, ClosedForm, Function, Kind, order_of
from lab.exercises import gradbench, graph, losses, polynomial, softmax

EXERCISES: dict[str, Callable[[], list[Case]]] = {
    "polynomial": polynomial.cases,
    "softmax": softmax.cases,
    "losses": losses.cases,
    "graph": graph.cases,
    "gradbench": gradbench.cases,
}


def all_cases(names: list[str] | None = None) -> list[Case]:
    """Every case of the named exercises (all of them when `names` is None), in registry order."""
    return [case for name in (names or EXERCISES) for case in EXERCISES[name]()]


__all__ = ["EXERCISES", "Case", "ClosedForm", "Function", "Kind", "all_cases", "order_of"]
