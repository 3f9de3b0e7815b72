"""Sweep family `swell`: symbolic against automatic differentiation, measured on the same programs.

Two programs, each written once in Python: `nested` (eₖ = eₖ₋₁·sin(eₖ₋₁ + k) for k = 1…d) and
`logistic` (the loop y ← r·y·(1 − y) run d times). Each depth is a `Function` whose SymPy form is
the program run on a symbol (the unrolled loop becomes one static expression) and whose program
is the same code on arrays; every registry backend the sweep names differentiates it through its
prepared call: its first call builds the derivative (lambdify, Lambdify, casadi.Function, JAX's
trace + compile), the calls after it evaluate it at POINTS. For each backend and depth the sweep
also records the size of what it evaluates (`swell_ops`) and the error ρ against a certified
reference. A backend whose next build is predicted past the plan's `cap_s` stops (the runner).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import mpmath
import numpy as np

from lab.bench.runner import Problem, Sweep, SweepResult
from lab.bench.swell_ops import POINTS, operations
from lab.core.arrays import namespace as array_namespace
from lab.core.compare import rho
from lab.core.reference import Uncertified, certified
from lab.exercises.gradbench import Deferred

R = 3.7  # the logistic map's chaotic regime: no attracting fixed point makes the loop trivial
BACKENDS = ("sympy", "symengine", "casadi.sx", "jax.jit", "torch.autograd", "tape")
# The swell page's kinds of tool, by the row's mode.
KINDS = {"symbolic": "symbolic", "graph": "hybrid", "reverse": "AD", "forward": "AD"}


def namespace(x):
    """The module whose sin/exp/… apply to x: SymPy, SymEngine, CasADi or mpmath for their own
    numbers and symbols, the array API namespace for arrays (numpy, torch, JAX, the tape)."""
    import casadi as ca
    import symengine as se
    import sympy as sp

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


@functools.lru_cache(maxsize=64)
def function_of(kind: str, depth: int) -> Deferred:
    """program(·, depth) as a Function: its SymPy form is the program run on a symbol."""
    program = PROGRAMS[kind]

    def build():
        import sympy as sp

        x = sp.Symbol("x", real=True)
        return program(x, depth), (x,)

    return Deferred(f"{kind} depth {depth}", build, lambda v: program(v, depth))


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
    """A result as a flat float64 numpy array."""
    value = getattr(value, "values", value)
    detach = getattr(value, "detach", None)
    return np.asarray(detach() if detach else value, dtype=np.float64).ravel()


def error(got: np.ndarray, expected: np.ndarray) -> float:
    """The largest ρ over the points where the reference is known."""
    known = np.isfinite(expected)
    return float(np.max(rho(expected[known], got[known]))) if known.any() else float("nan")


def finish(kind: str, cap_s: float) -> Callable[[SweepResult], None]:
    """Attach one record per row and depth (size, build and evaluation time, error) as `extra`."""
    program = PROGRAMS[kind]

    def attach(result: SweepResult) -> None:
        rows, expected = [], {}
        for t in sorted(result.timings, key=lambda t: t.size):
            label = result.labels[t.method]
            if t.size not in expected:
                expected[t.size] = exact(program, t.size)
            got = as_float64(result.calls[t.method, t.size]())
            rows.append(dict(method=t.method, kind=KINDS.get(label.mode, label.mode),
                             depth=t.size, ops=operations(label.library, program, t.size),
                             build_s=t.compile_s, eval_s=t.median_s,
                             error=error(got, expected[t.size])))
        result.extra.update(rows=rows, cap_s=cap_s,
                            points=[float(POINTS[0]), float(POINTS[-1]), POINTS.size])

    return attach


TITLES = {"nested": ("Expression swell: nested eₖ = eₖ₋₁·sin(eₖ₋₁ + k)", "depth"),
          "loop": ("Expression swell: the logistic-map loop y ← 3.7·y·(1 − y), unrolled",
                   "loop steps")}


def family(plan: dict) -> list[tuple[Sweep, list[int]]]:
    """The swell sweeps (one per program) at the plan's depths (`nested`, `loop`); a backend stops
    before a depth its build is predicted to take longer than `cap_s` at."""
    found = []
    for kind in PROGRAMS:
        title, label = TITLES[kind]
        found.append((Sweep(f"swell_{kind}", "swell", title, label,
                            lambda d, kind=kind: Problem("derivative", function_of(kind, d), POINTS),
                            backends=BACKENDS, cap_s=plan["cap_s"],
                            options=dict(min_repeats=3, min_time=0.02, max_time=1.0, memory=False),
                            finish=finish(kind, plan["cap_s"])), list(plan[kind])))
    return found
