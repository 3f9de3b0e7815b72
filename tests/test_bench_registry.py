"""Every sweep times the registry: each of its rows is a registry method's prepared call (the very
object `lab.backends.base.compute` runs for the cross-check), a closed form of the exercise, or a
named baseline — never a job written for one library. The audit below is shown to fail on a sweep
that carries such a job. Nothing here is timed."""

import numpy as np
import pytest

from lab import backends
from lab.backends.base import Prepared, compute
from lab.bench import families
from lab.bench.labels import ORIGINS, Label, method_label
from lab.bench.loss_gradients import RECORDING
from lab.bench.runner import ClosedFormCall, Problem, Row, Sweep
from lab.bench.softmax_jacobian import FLOOR

BASELINES = {FLOOR, RECORDING}  # the only rows that compute no derivative
TINY = {
    "polynomial": dict(sizes=[5], orders=(1, 3)),
    "softmax_jacobian": dict(sizes=[3]),
    "loss_gradients": dict(sizes=[10]),
    "symbolic": dict(sizes=[2], nested=[1]),
    "modes": dict(total=6, outputs=[2]),
    "swell": dict(nested=[1], loop=[1], cap_s=5.0),
    "gradbench": dict(lse=[4], llsq=[4], m=3),
}
REGISTRY = {m.label: m for m in backends.select()}


def audit(sweep: Sweep, size: int) -> list[str]:
    """What is wrong with the sweep's rows at `size` (empty when every row is the registry's, a
    closed form of the problem, or a named baseline, and every registry method is run or skipped
    with a reason)."""
    problem = sweep.problem(size)
    problems, seen = [], set()
    for row in sweep.rows(problem, sweep.methods()):
        label, call = row.label, row.call
        if label.origin not in ORIGINS:
            problems.append(f"{label.engine}: unknown origin {label.origin}")
        elif label.origin == "registry":
            method = REGISTRY.get(label.engine)
            expected = method.prepare(problem.kind, problem.function, problem.points, problem.order)
            if (type(call) is not Prepared or call.method is not method or call.kind != expected.kind
                    or call.function is not expected.function or call.order != expected.order
                    or call.points is not expected.points or label != method_label(method.label)):
                problems.append(f"{label.engine}: not the registry's prepared call")
            seen.add(label.engine)
        elif label.origin == "closed form":
            if not (isinstance(call, ClosedFormCall) and call.form in problem.closed_forms):
                problems.append(f"{label.engine}: not a closed form of the problem")
        elif label.engine not in BASELINES:
            problems.append(f"{label.engine}: a baseline the sweeps do not allow")
    wanted = {m.label for m in backends.select(list(sweep.backends) or None)}
    problems += [f"{m}: neither run nor skipped with a reason" for m in wanted - seen - set(sweep.skip)]
    return problems


SWEEPS = [(name, sweep, sizes[0]) for name in families.FAMILIES
          for sweep, sizes in families.family(name, TINY[name])]


def test_every_family_has_a_tiny_plan_and_a_quick_and_full_plan():
    assert set(TINY) == set(families.FAMILIES) == set(families.QUICK) == set(families.FULL)


@pytest.mark.parametrize("name, sweep, size", SWEEPS, ids=[s.name for _, s, _ in SWEEPS])
def test_each_sweeps_calls_are_the_registrys(name, sweep, size):
    assert audit(sweep, size) == []


def test_the_audit_flags_a_job_the_registry_does_not_provide():
    sweep = families.family("softmax_jacobian", TINY["softmax_jacobian"])[0][0]

    class Planted(Sweep):
        def rows(self, problem, methods):
            yield from super().rows(problem, methods)
            yield Row(Label("torch", "reverse", "torch.func.jacrev"), lambda: np.zeros(1))
            yield Row(Label("numpy", "baseline", "hand-written numpy job", "baseline"), lambda: 0)

    planted = Planted(**{f: getattr(sweep, f) for f in sweep.__dataclass_fields__})
    found = audit(planted, 3)
    assert any("torch.func.jacrev: not the registry's prepared call" in p for p in found)
    assert any("hand-written numpy job" in p for p in found)


def test_a_method_left_out_without_a_reason_is_flagged():
    sweep = families.family("softmax_jacobian", TINY["softmax_jacobian"])[0][0]
    narrowed = Sweep(**{f: getattr(sweep, f) for f in sweep.__dataclass_fields__
                        if f != "skip"}, skip={"tape.reverse": ""})
    assert audit(narrowed, 3) == []  # skipped, with (here empty) reason recorded by the runner

    class Dropping(Sweep):
        def methods(self):
            return [m for m in super().methods() if m.label != "tape.reverse"]

    dropping = Dropping(**{f: getattr(sweep, f) for f in sweep.__dataclass_fields__})
    assert audit(dropping, 3) == ["tape.reverse: neither run nor skipped with a reason"]


@pytest.mark.parametrize("label", ["tape.reverse", "taylor.forward", "finite.central",
                                   "sympy.lambdify"])
def test_a_prepared_call_gives_what_compute_gives(label):
    sweep = families.family("softmax_jacobian", TINY["softmax_jacobian"])[0][0]
    problem: Problem = sweep.problem(3)
    method = REGISTRY[label]
    prepared = method.prepare(problem.kind, problem.function, problem.points, problem.order)
    values, _ = compute(method, problem.kind, problem.function, problem.points, problem.order)
    got = np.asarray(getattr(prepared(), "values", prepared()), dtype=np.float64)
    np.testing.assert_array_equal(got, values)
    closed = ClosedFormCall(problem.closed_forms[0], problem)()
    np.testing.assert_allclose(values, closed, atol=1e-6 if label.startswith("finite") else 1e-13)
