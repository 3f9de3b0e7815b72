"""The gradbench page: gradbench's lse and llsq evals as exercises, their closed forms derived,
and what every backend's cross-check rows on them say."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from lab.output.markdown import md_table
from lab.output.provenance import header
from lab.report.crosscheck_pages import agreement, cell, page_rows
from lab.report.results import Results

EXERCISE = "gradbench"

LSE = """## lse: the gradient of log-sum-exp is softmax

gradbench's `lse` eval asks for lse(x) = log Σᵢ exp(xᵢ) and its gradient. Write S = Σᵢ exp(xᵢ), so
lse = log S. By the chain rule, with ∂S/∂xₖ = exp(xₖ) (only the k-th term depends on xₖ),

    ∂lse/∂xₖ = (1/S) · ∂S/∂xₖ = exp(xₖ) / Σᵢ exp(xᵢ) = softmax(x)ₖ.

The same line gives the form a program should use: exp(xₖ)/S = exp(xₖ − lse(x)), which never forms
exp of a large number once lse is computed as a + log Σᵢ exp(xᵢ − a) with a = max x (the shift
changes nothing, since softmax ignores an added constant). Differentiating once more, with
pₖ = softmax(x)ₖ,

    ∂pₖ/∂xₗ = exp(xₖ − lse)·(δₖₗ − ∂lse/∂xₗ) = pₖ(δₖₗ − pₗ),  so  ∇²lse = diag(p) − p pᵀ,

the softmax Jacobian of the softmax page. The symbolic form keeps LogSumExp whole and declares
∂/∂xₖ LogSumExp(x) = exp(xₖ − LogSumExp(x)): n terms for the gradient, not the n² that expanding
log Σ exp and differentiating each quotient would leave. And cross entropy on softmax is
CE(y; softmax(z)) = lse(z) − ⟨y, z⟩ when Σy = 1, so its gradient p − y is this one shifted by y.

"""

LLSQ = """## llsq: the gradient of a least-squares fit

gradbench's `llsq` fits a polynomial of degree m − 1 to a step: with n sample points
tᵢ = −1 + 2i/(n − 1) and targets sᵢ = sign(tᵢ),

    llsq(x) = ½ Σᵢ (sᵢ − Σⱼ xⱼ tᵢʲ)².

Let V be the n × m Vandermonde matrix Vᵢⱼ = tᵢʲ and r = s − Vx the residual, so llsq = ½ rᵀr.
Then ∂rᵢ/∂xⱼ = −tᵢʲ = −Vᵢⱼ, and the chain rule gives

    ∂llsq/∂xⱼ = Σᵢ rᵢ · ∂rᵢ/∂xⱼ = −Σᵢ Vᵢⱼ rᵢ,  i.e.  ∇llsq = −Vᵀr = Vᵀ(Vx − s).

The loss is quadratic in x, so its Hessian is constant: ∇²llsq = VᵀV. This is the course's squared
error of a linear model (a prediction Vx against targets s): the gradient is the design matrix
transposed times the error. Setting it to zero gives the normal equations VᵀVx = Vᵀs.

"""


def case_table(rows) -> str:
    """Method × case: each cell the verdict and largest ρ of that method's rows on that case."""
    cases = list(dict.fromkeys(r.case for r in rows))
    grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        name = "closed form" if r.backend == "closed_form" else f"{r.backend}.{r.variant}"
        grouped[name][r.case].append(r)
    return md_table(["method", *cases], [(name, *(cell(g[c]) for c in cases))
                                         for name, g in grouped.items()])

def gradbench_page(results: Results, out: Path) -> str:
    """The derivations of lse's and llsq's closed forms and the cross-check rows on them."""
    mine = results.rows_of(exercise=EXERCISE)
    lse = [r for r in mine if r.backend == "closed_form" and r.case.startswith("lse")]
    llsq = [r for r in mine if r.backend == "closed_form" and r.case.startswith("llsq")]
    return (header("gradbench's lse and llsq", results.inputs_of(mine))
            + "Two of gradbench's evals (github.com/gradbench/gradbench) are the course's functions in "
            "another dress: `lse` is the log-partition of softmax, `llsq` the squared-error loss of a "
            "linear model. Both are exercises here (`lab/exercises/gradbench.py`), run by every "
            "backend and checked against the exact reference like the course's own; "
            "`lab gradbench tool` serves them in gradbench's protocol.\n\n"
            "## Summary and exceptions\n\n" + page_rows(mine) + "\n"
            + LSE + agreement(lse, "the closed forms softmax(x) and diag(p) − p pᵀ") + "\n\n"
            + LLSQ + agreement(llsq, "the closed forms Vᵀ(Vx − s) and VᵀV") + "\n\n"
            "## Every method on every case\n\n"
            "Each cell: the verdict over the case's rows and the largest ρ against the exact "
            "reference; the rows themselves are in [every row](crosscheck.md).\n\n"
            + case_table(mine))
