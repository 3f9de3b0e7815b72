"""The finite-differences page: error against step size for each stencil, from the step study."""

from __future__ import annotations

from pathlib import Path

from lab.output import figures
from lab.output.markdown import md_table, scientific
from lab.output.provenance import header
from lab.report.crosscheck_pages import notes, per_case_table, rows_summary
from lab.report.results import Results, StepStudy

COMPLEX = "complex step"
FULL_PRECISION = 1e-15  # ρ at the level of float64 rounding


def finite_differences_page(results: Results, out: Path) -> str:
    """The error-against-h figure, each method's best step, and the finite-difference rows."""
    study = results.steps
    fig = figures.error_vs_step(study.steps, {s.title: s.errors for s in study.sweeps}, out)
    table = []
    for s in study.sweeps:
        for name, (h, err) in s.best().items():
            table.append((s.title, name, f"{h:.0e}", scientific(err),
                          scientific(float(s.errors[name][-1]))))
    mine = results.rows_of(backend="finite")
    return (header("Finite differences: error against step size", results.inputs_of(mine))
            + "In theory each stencil's error falls as hᵃ (truncation) until rounding, which grows as "
            "ε/hᵏ, takes over: on log axes a V whose bottom is near h ≈ ε^(1/(a+k)) with error "
            "≈ ε^(a/(a+k)); complex step, Im f(x + ih)/h, subtracts nothing and so has no rounding "
            "branch. What this run measured:\n\n"
            f"![error against h]({fig})\n\n"
            + md_table(["derivative", "method", "best h", "best error ρ",
                        f"error at h = {study.steps[-1]:.0e}"], table)
            + "\n" + _complex_step(study) + _largest_best(study)
            + "## Cross-check of the finite-difference backend (automatic step)\n\n"
            + rows_summary(mine) + "\n\n" + per_case_table(mine) + "\n" + notes(mine))


def _complex_step(study: StepStudy) -> str:
    errors = [float(s.errors[COMPLEX][-1]) for s in study.sweeps if COMPLEX in s.errors]
    if not errors:
        return ""
    worst = max(errors)
    return (f"Complex step at the smallest step, h = {study.steps[-1]:.0e}: error ρ at most "
            f"{scientific(worst)} over {len(errors)} derivative(s) — "
            + ("full float64 precision, as theory says.\n\n" if worst <= FULL_PRECISION else
               "not full precision, unlike what theory says.\n\n"))


def _largest_best(study: StepStudy) -> str:
    largest = float(study.steps[0])
    found = [f"{name} for {s.title}" for s in study.sweeps for name, (h, _) in s.best().items()
             if h == largest]
    if not found:
        return ""
    return (f"The best step was the largest one tried (h = {largest:g}) for: {'; '.join(found)}. Theory's "
            "reading: a stencil whose truncation terms vanish for this function (they involve its "
            "higher derivatives, zero for a polynomial of low enough degree) has only rounding left, "
            "and rounding shrinks as h grows.\n\n")
