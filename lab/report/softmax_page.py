"""The softmax page: the Jacobian as the cross-check computed it, the lecture's examples, and the
two invariances, all read from the run's results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab.check.crosscheck import Row
from lab.output.markdown import md_table, scientific
from lab.output.provenance import header
from lab.report.crosscheck_pages import agreement, page_rows, rows_summary
from lab.report.page_figures import jacobian_heatmaps
from lab.report.results import Results

HEATMAP_CASE = "softmax n=8"  # large enough to show structure, logits small enough to read
HEATMAP_METHOD = ("jax", "jit")
GENERAL_FORM = "diag(p) - p p^T"
INVARIANT = 1e-12  # a difference below this is rounding, not a change


def softmax_page(results: Results, out: Path) -> str:
    """The Jacobian figure, the lecture's numbers, the invariances, and the cross-check rows."""
    mine = results.rows_of(exercise="softmax")
    course = [r for r in mine if r.backend == "closed_form" and r.variant == "course n=2"]
    return (header("Softmax and its Jacobian", results.inputs_of(mine))
            + "## Summary and exceptions\n\n" + page_rows(mine) + "\n"
            + "pᵢ = exp(zᵢ) / Σⱼ exp(zⱼ); ∂pᵢ/∂zⱼ = pᵢ(δᵢⱼ − pⱼ), i.e. J = diag(p) − p pᵀ. "
            + agreement([r for r in mine if r.variant == GENERAL_FORM], "the closed form diag(p) − p pᵀ")
            + " " + agreement(course, "the course's n = 2 form [[p1p2, −p1p2], [−p1p2, p1p2]]")
            + "\n\n" + _heatmap(results, out)
            + "## Softmax against plain normalization (the lecture's examples)\n\n"
            + _lecture(results) + _large_logits(results)
            + "")


def _row(rows: list[Row], backend: str, variant: str) -> Row | None:
    return next((r for r in rows if r.backend == backend and r.variant == variant), None)


def _heatmap(results: Results, out: Path) -> str:
    rows = results.rows_of(case=HEATMAP_CASE)
    computed, closed = _row(rows, *HEATMAP_METHOD), _row(rows, "closed_form", GENERAL_FORM)
    label = ".".join(HEATMAP_METHOD)
    if computed is None or closed is None or computed.values is None or closed.values is None:
        return f"(No Jacobian figure: the run has no {label} or closed-form values for {HEATMAP_CASE}.)\n\n"
    fig = jacobian_heatmaps(computed.values[0], closed.values[0], f"{label} ({HEATMAP_CASE})", out)
    return (f"![softmax Jacobian]({fig})\n\nThe figure shows the first point of `{HEATMAP_CASE}` as "
            f"the cross-check computed it: {label} ({computed.verdict}, max ρ = "
            f"{scientific(computed.max_error)}) beside the closed form ({closed.verdict}).\n\n")


def _lecture(results: Results) -> str:
    facts = results.softmax
    table = md_table(["logits z", "softmax(z)", "z / Σz"],
                     [(label, _vec(p), _vec(n)) for label, _, p, n in facts.lecture])
    z = "(" + ", ".join(f"{v:g}" for v in facts.z) + ")"
    return (table + f"\nFor z = {z}: max |softmax(z + {facts.shift:g}) − softmax(z)| = "
            f"{scientific(facts.softmax_shift)} and max |softmax({facts.factor:g}z) − softmax(z)| = "
            f"{facts.softmax_scale:.2g}; for z / Σz the same differences are "
            f"{facts.normalize_shift:.2g} and {scientific(facts.normalize_scale)}. "
            + _invariance("Softmax", facts.softmax_shift, facts.softmax_scale) + " "
            + _invariance("Normalization", facts.normalize_shift, facts.normalize_scale) + "\n\n")


def _invariance(name: str, shift: float, scale: float) -> str:
    ignores = [what for what, moved in (("an added constant", shift), ("a factor", scale))
               if moved < INVARIANT]
    changes = [what for what, moved in (("an added constant", shift), ("a factor", scale))
               if moved >= INVARIANT]
    said = []
    if ignores:
        said.append(f"ignores {' and '.join(ignores)}")
    if changes:
        said.append(f"changes with {' and '.join(changes)}")
    return f"{name} {' but '.join(said)}."


def _large_logits(results: Results) -> str:
    # The softmax case with the largest logits: where a program without the max shift overflows.
    cases = [c for c in results.cases.values() if c.exercise == "softmax" and "softmax" in c.name]
    if not cases:
        return ""
    case = max(cases, key=lambda c: float(np.abs(c.points).max()))
    rows = [r for r in results.rows_of(case=case.name) if r.backend != "closed_form"]
    return ("The program subtracts max z before exp, which the shift invariance allows, so that large "
            f"logits do not overflow: on `{case.name}` (|z| up to {np.abs(case.points).max():.0f}) the "
            f"backends give {rows_summary(rows)}\n\n")


def _vec(v) -> str:
    return "[" + ", ".join(f"{x:.4g}" for x in v) + "]"
