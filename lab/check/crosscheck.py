"""Run every method on every case, compare with the certified reference, and give verdicts.

Error per value (gradbench's): ρ = |x − y| / max(1, |x| + |y|). Each method states the error it
should reach at each value (its tolerance `Policy`); the policy and the verdicts — agree, disagree,
inaccurate, undefined, overflow, unsupported, timeout, uncertified, error — are defined in
`lab.core.compare`. A row's verdict covers all its points and values; its detail says where it
failed: point, component, expected, got, ρ.

Two ways to run, one way to judge (`judged`):
  in_workers   what the commands and the API use: every method, closed form and reference as a
               task for the worker of its library (`lab.workers`), limits enforced by ending it
  check_case   in this process, with the given `Method` objects (tests of one method)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from lab.backends import FAMILIES, MODULES, Method, backend_of, compute, worker_of
from lab.core.budget import OverBudget, budget
from lab.core.cases import Case, order_of
from lab.core.compare import ROUNDING, Policy, compare
from lab.core.reference import Reference, reference
from lab.core.results import Row, json_number
from lab.errors import Unsupported
from lab.workers import Answer, Pool, Task
from lab.workers.protocol import REFERENCE, ExerciseCase, ExpressionCase, PickledCase

SECONDS = 60.0  # default time budget for the reference of one case and order, and for one method


def point_names(case: Case) -> list[str]:
    """Each point of a case named by its values, for details ("x = -2", "x = (0.1, 2, …)")."""
    if case.kind == "derivative":
        name = case.function.variables[0] if case.function.variables else "x"
        return [f"{name} = {x:.17g}" for x in case.points]

    def short(p) -> str:
        shown = ", ".join(f"{v:.6g}" for v in p[:4])
        return f"x = ({shown}{', …' if len(p) > 4 else ''})"

    return [short(p) for p in case.points]


def judged(case: Case, order: int, ref: Reference, label: tuple[str, str, str], got: np.ndarray,
           estimate: np.ndarray | None, policy: Policy, erratum: str = "",
           names: list[str] | None = None, **timing) -> Row:
    """The row of one method's values against the reference: ρ, tolerance and verdict."""
    expected = policy.expected(ref, estimate) * case.tol_scale
    result = compare(ref, got, expected, names)
    detail = f"course erratum: {erratum}. {result.detail}".strip() if erratum else result.detail
    return Row(case.exercise, case.name, *label, case.kind, order, max_error=result.max_error,
               tolerance=result.tolerance, verdict=result.verdict, detail=detail,
               expected="disagree" if erratum else "agree", values=np.asarray(got, dtype=np.float64),
               comparison=result, estimate=estimate, **timing)


def _failed(case: Case, order: int, label: tuple[str, str, str], verdict: str, detail: str,
            erratum: str = "", **timing) -> Row:
    return Row(case.exercise, case.name, *label, case.kind, order, max_error=None, tolerance=None,
               verdict=verdict, detail=detail, expected="disagree" if erratum else "agree", **timing)


# -- in this process -------------------------------------------------------------------------------
def _check_one(case: Case, order: int, ref: Reference, label: tuple[str, str, str],
               run: Callable[[], tuple[np.ndarray, np.ndarray | None, Policy]],
               seconds: float | None, erratum: str = "") -> Row:
    try:
        with budget(seconds, f"{label[0]}.{label[1]}"), np.errstate(all="ignore"):
            got, estimate, policy = run()
    except Unsupported as e:
        return _failed(case, order, label, "unsupported", str(e), erratum)
    except OverBudget as e:
        return _failed(case, order, label, "timeout", str(e), erratum)
    except Exception as e:  # noqa: BLE001 — a backend failing is a result to report, not a crash
        return _failed(case, order, label, "error", f"{type(e).__name__}: {e}".splitlines()[0], erratum)
    return judged(case, order, ref, label, got, estimate, policy, erratum, point_names(case))


def check_case(case: Case, methods: Iterable[Method], closed_forms: bool = True,
               seconds: float | None = SECONDS) -> Iterator[Row]:
    """Rows for every (method or closed form) × derivative order of one case, computed in this
    process; `seconds` bounds the reference and each method (a method past it gets `timeout`)."""
    orders = case.orders if case.kind == "derivative" else (order_of(case.kind),)
    methods = list(methods)
    for order in orders:
        ref = reference(case.function, case.kind, case.points, order, seconds)
        yield from check_against(case, order, ref, methods, seconds)
        if not closed_forms:
            continue
        for form in _forms(case, order):
            yield _check_one(case, order, ref, ("closed_form", form.name, "exact"),
                             lambda form=form: (form.values_at(case), None, ROUNDING), seconds,
                             form.erratum)


def check_against(case: Case, order: int, ref: Reference, methods: Iterable[Method],
                  seconds: float | None = SECONDS) -> Iterator[Row]:
    """One row per method for derivative order `order` of the case, against a computed reference."""
    for m in methods:
        yield _check_one(case, order, ref, (m.backend, m.variant, m.family),
                         lambda m=m: (*compute(m, case.kind, case.function, case.points, order),
                                      m.policy(order)), seconds)


def check(cases: Iterable[Case], methods: Iterable[Method], closed_forms: bool = True,
          progress: Callable[[Case], None] | None = None, seconds: float | None = SECONDS) -> list[Row]:
    """All rows for all cases, in this process; `progress(case)` is called after each case."""
    rows: list[Row] = []
    methods = list(methods)
    for case in cases:
        rows.extend(check_case(case, methods, closed_forms, seconds))
        if progress:
            progress(case)
    return rows


def _forms(case: Case, order: int):
    return [f for f in case.closed_forms if f.order == order or case.kind != "derivative"]


# -- in worker processes ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """A case to check, with the recipe a worker rebuilds it from."""

    case: Case
    recipe: ExerciseCase | ExpressionCase | PickledCase
    names: list[str] | None = None  # the points by value, for details

    @property
    def orders(self) -> tuple[int, ...]:
        return self.case.orders if self.case.kind == "derivative" else (order_of(self.case.kind),)


def in_workers(units: list[Unit], labels: list[str], pool: Pool, closed_forms: bool = True,
               seconds: float | None = SECONDS,
               progress: Callable[[Answer], None] | None = None) -> list[Checked]:
    """For each unit, its rows — per order, one per method label then one per closed form — and
    its references, computed by `pool`'s workers. `seconds` is the reference's own budget per case
    and order."""
    tasks: list[Task] = []
    # per unit: (order, task, label, erratum)
    plan: list[list[tuple[int, int, tuple[str, str, str], str]]] = []
    for case_id, unit in zip(pool.case_ids(len(units)), units, strict=True):
        entries = []
        for order in unit.orders:
            ref_task = len(tasks)
            tasks.append(Task(ref_task, "reference", "", REFERENCE, case_id, unit.recipe, order, seconds))
            entries.append((order, ref_task, (REFERENCE, "", ""), ""))
            for label in labels:
                backend = backend_of(label)
                tasks.append(Task(len(tasks), worker_of(label), MODULES[backend], label, case_id,
                                  unit.recipe, order))
                entries.append((order, len(tasks) - 1, (backend, label[len(backend) + 1:],
                                                        FAMILIES[backend]), ""))
            for form in _forms(unit.case, order) if closed_forms else ():
                tasks.append(Task(len(tasks), "numpy", "", f"closed_form.{form.name}", case_id,
                                  unit.recipe, order))
                entries.append((order, len(tasks) - 1, ("closed_form", form.name, "exact"), form.erratum))
        plan.append(entries)
    answers = pool.run(tasks, progress)
    checked: list[Checked] = []
    for unit, entries in zip(units, plan, strict=True):
        done = Checked([], {})
        for order, task_id, label, erratum in entries:
            answer = answers[task_id]
            if label[0] == REFERENCE:
                done.references[order] = answer
                continue
            done.rows.append(_row_of(unit, order, done.references[order], label, answer, erratum))
        checked.append(done)
    return checked


@dataclass
class Checked:
    """One unit's rows, and its reference's answer per order (`.reference` holds the values
    where it succeeded)."""

    rows: list[Row]
    references: dict[int, Answer]


def _row_of(unit: Unit, order: int, ref: Answer, label: tuple[str, str, str], answer: Answer,
            erratum: str) -> Row:
    case = unit.case
    family = answer.family or label[2]
    label = (label[0], label[1], family)
    timing = dict(compile_seconds=answer.compile_seconds, compute_seconds=answer.compute_seconds,
                  peak_rss=answer.peak_rss)
    if answer.status != "values":
        detail = (answer.message if answer.status != "timeout"
                  else f"timeout in {answer.phase}: {answer.message}")
        return _failed(case, order, label, answer.status, detail, erratum, **timing)
    if ref.status != "reference":  # no certified values to compare with
        verdict = "timeout" if ref.status == "timeout" else "error"
        return _failed(case, order, label, verdict, f"the exact reference: {ref.message}", erratum, **timing)
    return judged(case, order, ref.reference, label, answer.values, answer.estimate,
                  answer.policy or ROUNDING, erratum, unit.names or point_names(case), **timing)


__all__ = ["SECONDS", "Checked", "Row", "Unit", "check", "check_against", "check_case", "in_workers",
           "json_number",
           "judged", "point_names"]
