"""Expression swell: symbolic against automatic differentiation, measured on the same programs.

Two programs, each written once in Python: `nested` (eₖ = eₖ₋₁·sin(eₖ₋₁ + k) for k = 1…d) and
`logistic` (the loop y ← r·y·(1 − y) run d times). Every tool differentiates that same function:
SymPy, SymEngine and CasADi run it on their symbols (the unrolled loop becomes one static
expression), JAX, torch and the lab's tape run it on arrays. For each tool and depth the sweep
records the size of what the tool evaluates (operations), the time to build the derivative, the
time per evaluation at POINTS (timed by the harness, as in every sweep) and the error ρ against a
certified reference. A tool whose build and size count took longer than the plan's `cap_s` is not
run at deeper depths. The tools are in `lab.bench.swell_tools`; `lab.bench.swell_notes` turns the
records into the page's tables, figure panels and notes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import casadi as ca
import mpmath
import numpy as np
import symengine as se
import sympy as sp
import torch

from lab.backends.jaxconfig import jax, jnp
from lab.bench import swell_notes
from lab.bench.sweeps import Job, Sweep, SweepResult
from lab.bench.swell_tools import POINTS, TOOLS, Built, Tool
from lab.core.arrays import namespace as array_namespace
from lab.core.compare import rho
from lab.core.reference import Uncertified, certified

R = 3.7  # the logistic map's chaotic regime: no attracting fixed point makes the loop trivial


def namespace(x):
    """The module whose sin/exp/… apply to x: SymPy, SymEngine, CasADi or mpmath for their own
    numbers and symbols, the array API namespace for arrays (numpy, torch, JAX, the tape)."""
    for kind, module in ((sp.Basic, sp), (se.Basic, se), (ca.SX, ca), (mpmath.mpf, mpmath)):
        if isinstance(x, kind):
            return module
    return array_namespace(x)


def nested(x, depth: int):
    """e₀ = x, eₖ = eₖ₋₁·sin(eₖ₋₁ + k) for k = 1…depth: the product and chain rules at each level."""
    xp = namespace(x)
    e = x
    for k in range(1, depth + 1):
        e = e * xp.sin(e + k)
    return e


def logistic(x, depth: int):
    """The logistic map y ← r·y·(1 − y), r = 3.7, run `depth` times from y = x: a loop."""
    y = x
    for _ in range(depth):
        y = R * y * (1 - y)
    return y


PROGRAMS = {"nested": nested, "loop": logistic}


# --- truth ------------------------------------------------------------------------------------------
def exact(program: Callable, depth: int) -> np.ndarray:
    """The derivative of program(·, depth) at POINTS: mpmath's derivative of the program run on
    mpmath numbers, at rising precision until two precisions agree (lab.core.reference.certified);
    nan where they never do."""

    def at(t, _delta):
        return mpmath.diff(lambda s: program(s, depth), t)

    values = []
    for p in POINTS:
        try:
            values.append(float(certified(at, [mpmath.mpf(float(p))])[0][0]))
        except Uncertified:
            values.append(float("nan"))
    return np.array(values)


def as_float64(value) -> np.ndarray:
    """A tool's result as a flat float64 numpy array."""
    if isinstance(value, torch.Tensor):
        value = value.detach().numpy()
    return np.asarray(value, dtype=np.float64).ravel()


def error(got: np.ndarray, expected: np.ndarray) -> float:
    """The largest ρ over the points where the reference is known."""
    known = np.isfinite(expected)
    return float(np.max(rho(expected[known], got[known]))) if known.any() else float("nan")


# --- the sweep ----------------------------------------------------------------------------------------
@dataclass
class Records:
    """What a swell sweep learns beside the harness's timings: one row per tool and depth, and
    the depth after which each capped tool stopped (with the seconds that stopped it)."""

    cap_s: float
    rows: dict[tuple[str, int], dict] = field(default_factory=dict)
    stopped: dict[str, tuple[int, float]] = field(default_factory=dict)


def timed_build(tool: Tool, program: Callable, depth: int, budget_s: float = swell_notes.BUILD_BUDGET_S,
                most: int = swell_notes.BUILDS) -> tuple[Built, float, float]:
    """(the built derivative, the least time of up to `most` builds, the first build's time).
    Builds repeat only while they fit in budget_s: a single cheap build is mostly noise (and, the
    first time, imports), an expensive one is timed once."""
    times: list[float] = []
    while len(times) < most and sum(times) < budget_s:
        start = time.perf_counter()
        built = tool.build(program, depth)
        times.append(time.perf_counter() - start)
    return built, min(times), times[0]


def swell_jobs(program: Callable, records: Records) -> Callable[[int], Iterator[Job]]:
    """Build every tool's derivative at a depth (timed by timed_build, its size and error recorded
    in `records`) and yield its evaluation at POINTS for the harness to time."""

    def jobs(depth: int) -> Iterator[Job]:
        expected = exact(program, depth)
        for tool in TOOLS:
            if tool.method in records.stopped:
                continue
            built, build_s, first_s = timed_build(tool, program, depth)
            start = time.perf_counter()
            ops = tool.ops(built, program, depth)
            count_s = time.perf_counter() - start
            records.rows[tool.method, depth] = dict(
                method=tool.method, kind=tool.kind, depth=depth, ops=ops, build_s=build_s,
                count_s=count_s, error=error(as_float64(built.fn(*built.args)), expected))
            if first_s + count_s > records.cap_s:
                records.stopped[tool.method] = (depth, first_s + count_s)
            yield tool.method, tool.library, built.fn, built.args

    return jobs


def primals(program: Callable) -> Callable[[int], Iterator[tuple[str, Callable, tuple]]]:
    """program(·, depth) itself at POINTS in each library a derivative's ratio is taken against."""

    def at(depth: int):
        xs, xc = se.Symbol("x"), ca.SX.sym("x")
        yield "numpy", lambda v: program(v, depth), (POINTS,)
        yield "torch", lambda v: program(v, depth), (torch.from_numpy(POINTS),)
        yield "jax", jax.jit(lambda v: program(v, depth)), (jnp.asarray(POINTS),)
        yield "symengine", se.Lambdify([xs], [program(xs, depth)], cse=True), (POINTS,)
        yield "casadi", ca.Function("primal", [xc], [program(xc, depth)]), (POINTS[None, :],)

    return at


def finish(records: Records) -> Callable[[SweepResult], None]:
    """Attach the records, each with its evaluation time from the harness, to the result as
    `extra`, and the notes computed from them."""

    def attach(result: SweepResult) -> None:
        rows = []
        for (method, depth), row in sorted(records.rows.items(), key=lambda kv: kv[0][1]):
            timing = result.at(method, depth)
            rows.append(row | {"eval_s": timing.median_s if timing else None})
        result.extra.update(rows=rows, cap_s=records.cap_s, stopped={
            m: {"depth": d, "seconds": s} for m, (d, s) in records.stopped.items()},
            panels=swell_notes.panels(rows, result.size_label))
        where = f"{POINTS.size} points from {POINTS[0]:g} to {POINTS[-1]:g}"
        result.notes.extend(swell_notes.notes(rows, records.cap_s, result.extra["stopped"],
                                              result.size_label, where))

    return attach


TITLES = {"nested": ("Expression swell: nested eₖ = eₖ₋₁·sin(eₖ₋₁ + k)", "depth"),
          "loop": ("Expression swell: the logistic-map loop y ← 3.7·y·(1 − y), unrolled",
                   "loop steps")}


def family(name: str, plan: dict) -> list[tuple[Sweep, list[int]]]:
    """The swell sweeps (one per program) with their depths from the plan entry
    (`nested`, `loop`: depths; `cap_s`: a tool stops after a depth whose build + count took longer)."""
    found = []
    for kind, program in PROGRAMS.items():
        records = Records(plan["cap_s"])
        title, label = TITLES[kind]
        found.append((Sweep(f"swell_{kind}", name, title, label, swell_jobs(program, records),
                            primals(program), options=dict(min_repeats=3, min_time=0.02,
                                                           max_time=1.0, memory=False),
                            finish=finish(records)), list(plan[kind])))
    return found
