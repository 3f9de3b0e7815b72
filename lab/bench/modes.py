"""Sweep family `modes`: forward against reverse mode, measured: the full Jacobian of f: Rⁿ → Rᵐ with
n·m fixed, from wide (m = 1, a loss) to tall (n = 1).

f(x) = tanh(W x + b) with a seeded W ∈ R^(m×n), one dense layer, written once against the array
API so that every registry method runs the same program through its prepared call. Forward mode
pushes one input direction through f per sweep and reverse mode pulls one output direction back,
both at O(n·m) work: the textbook cost of the Jacobian is n forward sweeps or m reverse ones. The
page (`lab.report.bench_modes`) fits the times against that count.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from lab.backends import labels as registry_labels
from lab.bench.runner import Problem, Sweep
from lab.core.arrays import namespace
from lab.core.cases import ClosedForm
from lab.exercises.gradbench import Deferred

# Time only: TensorFlow allocates outside every counter the harness reads, so its peak memory
# would read as zero beside the others'.
OPTIONS = dict(min_repeats=5, min_time=0.1, max_time=2.0, memory=False)
SYMBOLIC = ("a symbolic Jacobian of tanh(W x + b) has n·m entries over n·m terms; what building "
            "one costs is the `symbolic` sweep's subject")
SKIP = {label: SYMBOLIC for label in registry_labels(["sympy", "symengine", "casadi"])}
SKIP.update({label: "the central stencil stands for finite differences here (one pass per column)"
             for label in registry_labels(["finite", "numdifftools"]) if label != "finite.central"})


def layer(x, W, b):
    """tanh(W x + b). The product is written as a broadcast multiply and a row sum, W·x = Σⱼ Wᵢⱼxⱼ,
    which every engine here implements (the tape and the jets have no matmul)."""
    xp = namespace(x)
    return xp.tanh(xp.sum(xp.asarray(W) * x, axis=-1) + xp.asarray(b))


@dataclass(frozen=True)
class Data:
    """The seeded data at one shape: the point x and the layer (W, b)."""

    x: np.ndarray
    W: np.ndarray
    b: np.ndarray


def data(m: int, total: int) -> Data:
    """The data for m outputs and n = total/m inputs (W scaled so that W x is of order 1)."""
    rng = np.random.default_rng(0)
    n = total // m
    return Data(rng.normal(0.0, 1.0, n), rng.normal(0.0, n**-0.5, (m, n)), rng.normal(0.0, 0.1, m))


def closed_jacobian(x, W, b) -> np.ndarray:
    """(1 − y²)·W, y = tanh(W x + b): the Jacobian by hand."""
    return (1 - np.tanh(W @ x + b) ** 2)[:, None] * W


@functools.lru_cache(maxsize=32)
def problem_at(m: int, total: int) -> Problem:
    """The Jacobian at m outputs and total/m inputs, with its closed form."""
    d = data(m, total)

    def build():
        import sympy as sp

        from lab.core.cases import symbols

        x = symbols("x", len(d.x))
        rows = [sp.tanh(sum(sp.Float(w) * xj for w, xj in zip(row, x, strict=True)) + sp.Float(bi))
                for row, bi in zip(d.W, d.b, strict=True)]
        return sp.ImmutableMatrix(rows), x

    function = Deferred(f"tanh(Wx + b) {m}×{total // m}", build, lambda x: layer(x, d.W, d.b))
    form = ClosedForm("(1 − y²)·W", lambda x: closed_jacobian(x, d.W, d.b))
    return Problem("jacobian", function, d.x[None], 1, (form,), group="")


def family(plan: dict) -> list[tuple[Sweep, list[int]]]:
    """The one sweep: sizes are m, with n = plan['total'] / m."""
    total, outputs = int(plan["total"]), [int(m) for m in plan["outputs"]]
    if any(m < 1 or total % m for m in outputs):
        raise ValueError(f"every output count must divide n·m = {total}: {outputs}")
    return [(Sweep("modes", "modes", f"Forward against reverse mode: Jacobian of tanh(Wx + b), "
                   f"Rⁿ → Rᵐ with n·m = {total}", f"m (outputs; n = {total}/m inputs)",
                   lambda m: problem_at(m, total), skip=dict(SKIP), options=dict(OPTIONS),
                   cap_s=plan.get("cap_s", 10.0), growth=0.0,
                   describe=lambda sizes: [shapes(sizes, total)]), outputs)]


def shapes(sizes, total: int) -> str:
    """The measured shapes."""
    return "Shapes m × n: " + ", ".join(f"{m} × {total // m}" for m in sizes) + "."
