"""Sweep family `gradbench`: the gradients of gradbench's `lse` and `llsq` evals (defined once in
`lab.exercises.gradbench`) at gradbench's own sizes and inputs: lse at n = 2500 … 1 280 000 inputs,
llsq at n = 16 … 16 392 sample points with m = 128 coefficients, inputs drawn as gradbench draws
them (`np.random.seed(31337)`, then `rand`). Every registry method runs through its prepared call;
a method whose cost, measured at a small probe size and extrapolated, passes the cap at a size is
not run there, with the reason recorded (symbolic and finite-difference backends stop early)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab.bench.runner import Problem, Sweep
from lab.core.cases import ClosedForm
from lab.exercises.gradbench import llsq_function, llsq_gradient, lse_function, lse_gradient

# gradbench's defaults (python/gradbench/gradbench/evals/{lse,llsq}/run.py).
LSE_SIZES = [2500 * 2**k for k in range(10)]
LLSQ_SIZES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8196, 16392]
LLSQ_M = 128
SEED = 31337


def gradbench_input(length: int) -> np.ndarray:
    """`np.random.seed(31337); np.random.rand(length)`, as gradbench draws an eval's first input."""
    return np.random.RandomState(SEED).rand(length)


def lse_problem(n: int) -> Problem:
    """∇lse at gradbench's input of n numbers in [0, 1); closed form softmax(x)."""
    return Problem("gradient", lse_function(n, " (gradbench)"), gradbench_input(n)[None], 1,
                   (ClosedForm("softmax(x)", lse_gradient),))


def llsq_problem(m: int) -> Callable[[int], Problem]:
    """∇llsq of m coefficients at n sample points; closed form Vᵀ(Vx − s)."""

    def at(n: int) -> Problem:
        return Problem("gradient", llsq_function(n, m), gradbench_input(m)[None], 1,
                       (ClosedForm("Vᵀ(Vx − s)", lambda x: llsq_gradient(x, n)),), group=f"m = {m}")

    return at


def family(plan: dict) -> list[tuple[Sweep, list[int]]]:
    """lse at the plan's `lse` sizes and llsq at its `llsq` sizes (m = plan's `m`)."""
    m, cap = int(plan.get("m", LLSQ_M)), plan.get("cap_s", 10.0)
    return [
        (Sweep("gradbench_lse", "gradbench", "gradbench lse: ∇ log Σ exp(x) at gradbench's sizes",
               "n (inputs)", lse_problem, cap_s=cap, probe=plan.get("probe_lse", 64)),
         list(plan["lse"])),
        # n grows the sum, not the input: every method's cost is about linear in n.
        (Sweep("gradbench_llsq", "gradbench", f"gradbench llsq: ∇ ½‖s − Vx‖² with m = {m} "
               "coefficients, at gradbench's sample counts", "n (sample points)", llsq_problem(m),
               cap_s=cap, growth=1.0, probe=plan.get("probe_llsq", 8)), list(plan["llsq"])),
    ]
