"""Running a sweep: at each size, every row — a registry method's prepared call (exactly what the
cross-check validates), a closed form of the exercise, or a baseline — is timed by the harness
beside the primal in its own library. A method whose cost would pass the sweep's cap at the next
size (extrapolated from its own first calls) or that fails stops, with the reason recorded.
The environment (load before and after, CPU model, thread settings) is recorded with the result.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from lab.backends import select
from lab.backends.base import Method, Prepared
from lab.bench.harness import Decision, Timing, cpu_model, load_average, measure, noisy, threads
from lab.bench.labels import Label, baseline_label, closed_form_label, method_label
from lab.bench.primals import primal_call, primal_name
from lab.core.cases import ClosedForm, Function, Kind

# How a method's cost grows with the size of the input, when only one size has been measured:
# k-th derivatives at n points are n elementwise evaluations; forward mode, finite differences
# and symbolic differentiation of an n-input function do n passes (or build n derivatives) of a
# program that itself costs n; reverse mode needs one pass.
EXPONENTS = {("derivative", "any"): 1.0, ("gradient", "reverse"): 1.0, ("jacobian", "reverse"): 2.0,
             ("gradient", "other"): 2.0, ("jacobian", "other"): 2.0}
CAP_S = 10.0  # a method stops before a size where its first call is predicted to take longer


@dataclass(frozen=True)
class Problem:
    """What a sweep computes at one size: `kind` of `function` at `points`, the exercise's closed
    forms of it, and baselines (name → call) that compute no derivative."""

    kind: Kind
    function: Function
    points: np.ndarray
    order: int = 1
    closed_forms: tuple[ClosedForm, ...] = ()
    baselines: tuple[tuple[str, Callable[[], object]], ...] = ()
    group: str = ""  # the problem's shape where size alone hides it


@dataclass(frozen=True)
class Row:
    """One timed row: its label and the call to time."""

    label: Label
    call: Callable[[], object]


@dataclass(frozen=True)
class Sweep:
    """A sweep: the problem at each size and the registry backends that run it."""

    name: str
    family: str  # the `lab bench --sweep` name that produces it
    title: str
    size_label: str
    problem: Callable[[int], Problem]
    backends: tuple[str, ...] = ()  # registry names (backend or backend.variant); () = all
    skip: dict[str, str] = field(default_factory=dict)  # registry label → why it is not run
    options: dict = field(default_factory=dict)  # measure() options
    cap_s: float = CAP_S
    growth: float | None = None  # how cost grows with size, where the kind's rule does not apply
    probe: int | None = None  # a small size each method first runs at, to predict its cost
    describe: Callable[[Sequence[int]], list[str]] = lambda sizes: []  # notes computed from sizes
    finish: Callable[[SweepResult], None] = lambda result: None  # adds extra data from the result

    def methods(self) -> list[Method]:
        """The registry methods this sweep times."""
        return [m for m in select(list(self.backends) or None) if m.label not in self.skip]

    def rows(self, problem: Problem, methods: Sequence[Method]) -> Iterator[Row]:
        """The closed forms, baselines and the methods' prepared calls at one problem."""
        for form in problem.closed_forms:
            yield Row(closed_form_label(form.name), ClosedFormCall(form, problem))
        for name, call in problem.baselines:
            yield Row(baseline_label(name), call)
        for m in methods:
            yield Row(method_label(m.label),
                      m.prepare(problem.kind, problem.function, problem.points, problem.order))


@dataclass(frozen=True, eq=False)
class ClosedFormCall:
    """The exercise's closed form at every point of a problem, as the cross-check evaluates it."""

    form: ClosedForm
    problem: Problem

    def __call__(self) -> np.ndarray:
        p = self.problem
        if p.kind == "derivative":
            return np.asarray(self.form.compute(p.points), dtype=np.float64)
        return np.stack([np.asarray(self.form.compute(x), dtype=np.float64) for x in p.points])


@dataclass
class TargetResult:
    """One performance target decided from side-by-side runs; `why` explains a miss with numbers."""

    sweep: str
    target: str
    numerator: str
    denominator: str
    size: int
    decision: Decision | None  # None: not judged (`why` says why)
    why: str = ""

    @property
    def verdict(self) -> str:
        """met, missed, inconclusive, or 'not judged'."""
        return self.decision.verdict if self.decision else "not judged"

    def as_json(self) -> dict:
        """The fields as a JSON-ready dict."""
        return {"sweep": self.sweep, "target": self.target, "numerator": self.numerator,
                "denominator": self.denominator, "size": self.size,
                "decision": self.decision.as_json() if self.decision else None, "why": self.why}


@dataclass
class SweepResult:
    """A sweep's timings by row and size, its primals, what stopped, its environment, its targets."""

    name: str
    title: str
    size_label: str
    family: str = ""
    timings: list[Timing] = field(default_factory=list)
    primal: dict[str, list[Timing]] = field(default_factory=dict)  # primal name → its timings
    labels: dict[str, Label] = field(default_factory=dict)  # row key → its label
    primal_of: dict[str, str] = field(default_factory=dict)  # row key → its primal's name
    groups: dict[int, str] = field(default_factory=dict)  # size → problem shape, where it changes
    stopped: dict[str, str] = field(default_factory=dict)  # row key → why it stopped
    environment: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    targets: list[TargetResult] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # JSON-ready data a sweep's `finish` attaches
    # (row key or primal name, size) → the call that was timed; not written to JSON.
    calls: dict[tuple[str, int], Callable[[], object]] = field(default_factory=dict, repr=False)

    @property
    def noisy(self) -> bool:
        """Whether the machine was busy (load above half the cores) before or after the sweep."""
        return bool(self.environment.get("noisy"))

    def ratio(self, t: Timing) -> float | None:
        """derivative time / its primal's time, same size (medians)."""
        base = self.primal_timing(t)
        return t.median_s / base.median_s if base and base.median_s > 0 else None

    def primal_timing(self, t: Timing) -> Timing | None:
        """The primal timing of t's library at t's size, if one was measured."""
        name = self.primal_of.get(t.method)
        return next((p for p in self.primal.get(name, []) if p.size == t.size), None)

    def at(self, method: str, size: int) -> Timing | None:
        """The timing of row `method` at `size`."""
        return next((t for t in self.timings if t.method == method and t.size == size), None)

    def rows_where(self, **fields) -> list[Timing]:
        """The timings whose label has every given field value (`library="torch"`)."""
        return [t for t in self.timings if (label := self.labels.get(t.method)) is not None
                and all(getattr(label, k) == v for k, v in fields.items())]


def environment_before() -> dict:
    """What is known about the machine before a sweep: load, processor, thread settings."""
    settings = threads()
    return {"load_before": load_average(), "cpu_model": cpu_model(),
            "cores": settings["cpu_count"], "threads": settings}


def finish_environment(env: dict) -> dict:
    """env with the load after the sweep and whether the machine was too busy to judge targets."""
    env = dict(env, load_after=load_average())
    env["noisy"] = noisy(env["load_before"], env["load_after"], env["cores"])
    return env


# --- running ------------------------------------------------------------------------------------------
def run(sweep: Sweep, sizes: Sequence[int], advance: Callable[[], None] = lambda: None,
        say: Callable[[str], None] = lambda line: None,
        backends: Sequence[str] | None = None) -> SweepResult:
    """Time every row and primal of `sweep` at each size (ascending); `say` gets a progress line
    per size; `backends` (registry names) narrows the sweep's methods to those."""
    result = SweepResult(sweep.name, sweep.title, sweep.size_label, sweep.family)
    result.environment = environment_before()
    result.stopped.update({label: f"not run in this sweep: {why}" for label, why in sweep.skip.items()})
    methods = sweep.methods()
    if backends is not None:
        wanted = {m.label for m in select(list(backends))}
        methods = [m for m in methods if m.label in wanted]
    if sweep.probe is not None:
        _probe(result, sweep, methods)
    for size in sorted(sizes):
        problem = sweep.problem(size)
        result.groups[size] = problem.group
        started = time.perf_counter()
        for row in sweep.rows(problem, [m for m in methods if m.label not in result.stopped]):
            key = row.label.key
            if (why := _too_costly(result, sweep, key, size, problem.kind)):
                result.stopped[key] = why
                continue
            try:
                timing = measure(key, size, row.call, library=_allocator(row.label), **sweep.options)
            except Exception as e:  # noqa: BLE001 — a method that fails stops, with why
                result.stopped[key] = f"failed at {sweep.size_label} {size}: {_first_line(e)}"
                continue
            result.timings.append(timing)
            result.labels[key] = row.label
            result.primal_of[key] = primal_name(row.label)
            result.calls[key, size] = row.call
        _time_primals(result, sweep, problem, size)
        say(f"{sweep.name}: {sweep.size_label} {size} done in {time.perf_counter() - started:.1f} s")
        advance()
    result.environment = finish_environment(result.environment)
    result.notes.extend(sweep.describe(sizes))
    sweep.finish(result)
    return result


def _time_primals(result: SweepResult, sweep: Sweep, problem: Problem, size: int) -> None:
    names = dict.fromkeys(result.primal_of[t.method] for t in result.timings if t.size == size)
    for name in names:
        call = primal_call(name, problem.kind, problem.function.program, problem.points)
        try:
            timing = measure(name, size, call, library=_allocator_of_primal(name), **sweep.options)
        except Exception as e:  # noqa: BLE001 — no primal: the rows have no ratio, and say why
            result.notes.append(f"The primal {name} failed at {size}: {_first_line(e)}")
            continue
        result.primal.setdefault(name, []).append(timing)
        result.calls[name, size] = call


class _PastCap(Exception):
    """A probe's first call ran past the sweep's cap."""


@contextlib.contextmanager
def _within(seconds: float) -> Iterator[None]:
    """Raise _PastCap in the code inside once `seconds` have passed (a timer signal; the main
    thread only). Python code (a SymPy build) stops at once; a native call, when it returns."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def past(signum, frame):
        raise _PastCap

    previous = signal.signal(signal.SIGALRM, past)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _probe(result: SweepResult, sweep: Sweep, methods: Sequence[Method]) -> None:
    """Run each method twice at the sweep's probe size (not recorded as a timing) so that its cost
    at the first real size can be predicted: a symbolic build of 10⁶ inputs is never started, and
    a first call past the cap even at the probe size is stopped there."""
    problem = sweep.problem(sweep.probe)
    for row in sweep.rows(problem, methods):
        try:
            start = time.perf_counter()
            with _within(sweep.cap_s):
                row.call()
            first = time.perf_counter() - start
            start = time.perf_counter()
            row.call()
            again = time.perf_counter() - start
        except _PastCap:
            result.stopped[row.label.key] = (
                f"stopped at {sweep.size_label} {sweep.probe} (the probe): its first call took longer "
                f"than the cap of {sweep.cap_s:g} s")
            continue
        except Exception as e:  # noqa: BLE001
            result.stopped[row.label.key] = f"failed at {sweep.size_label} {sweep.probe}: {_first_line(e)}"
            continue
        result.labels[row.label.key] = row.label
        result.extra.setdefault("probes", {})[row.label.key] = dict(
            size=sweep.probe, first_call_s=first, call_s=again)


def _too_costly(result: SweepResult, sweep: Sweep, key: str, size: int, kind: str) -> str:
    """Why `key` should not run at `size` ('' when it should): its first call, extrapolated from
    the sizes it ran at (or its probe), would take longer than the cap."""
    done = sorted((t for t in result.timings if t.method == key), key=lambda t: t.size)
    if not done:
        probe = result.extra.get("probes", {}).get(key)
        if probe is None:
            return ""
        done = [Timing(key, probe["size"], probe["first_call_s"],
                       max(0.0, probe["first_call_s"] - probe["call_s"]), probe["call_s"],
                       probe["call_s"], 0.0, 1)]
    last, label = done[-1], result.labels[key]
    if sweep.growth is not None:
        exponent, how = sweep.growth, "as the sweep's problem grows"
    elif len(done) >= 2 and done[-2].size < last.size:
        slope = math.log(_growing(done[-1], label) / _growing(done[-2], label)) / math.log(
            last.size / done[-2].size)
        exponent, how = max(slope, 1.0), "fitted to its last two sizes"
    else:
        exponent, how = _exponent(kind, label), "assumed from its mode"
    # A compiler's work on a traced array program is about the same at every size: only the part
    # that grows (the calls, and the build or compile of a program unrolled into scalar
    # operations) is held against the cap.
    cost = _growing(last, label)
    predicted = cost * (size / last.size) ** exponent
    if predicted <= sweep.cap_s:
        return ""
    return (f"stopped before {sweep.size_label} {size}: {cost:.2g} s at {last.size} grows to "
            f"about {predicted:.2g} s there (∝ size^{exponent:.2g}, {how}), over the cap of "
            f"{sweep.cap_s:g} s")


# Libraries that unroll a program into scalar operations, so that building (and, for CasADi's
# generated C, compiling) the derivative grows with the problem: gcc took minutes on the C of a
# 256 × 256 softmax Jacobian.
UNROLLED = ("sympy", "symengine", "casadi")


def _growing(t: Timing, label: Label) -> float:
    """The part of a row's measuring time that grows with size: three calls, and the build or
    compile of a derivative unrolled into scalar operations."""
    unrolled = label.mode == "symbolic" or label.library in UNROLLED
    return max(3 * t.median_s + (t.compile_s if unrolled else 0.0), 1e-9)


def _exponent(kind: str, label: Label) -> float:
    if kind == "derivative":
        return EXPONENTS["derivative", "any"]
    if kind == "hessian":
        return 3.0
    return EXPONENTS[kind, "reverse" if label.mode == "reverse" else "other"]


def _allocator(label: Label) -> str:
    """The library whose allocator counts a row's memory (ALLOCATOR_OF maps compilers)."""
    if label.library in ("torch", "jax", "tensorflow"):
        return label.library
    return "numpy"


def _allocator_of_primal(name: str) -> str:
    return next((lib for lib in ("torch", "jax") if lib in name),
                "tensorflow" if ("tf." in name or "TensorFlow" in name) else "numpy")


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0][:200]}" if text else type(e).__name__


def registry_calls(result: SweepResult) -> list[Prepared]:
    """The registry's prepared calls a run timed (what the bench test compares with the registry)."""
    return [call for (key, _), call in result.calls.items()
            if key in result.labels and result.labels[key].origin == "registry"]
