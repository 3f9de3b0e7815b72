"""The finite-differences page: error against step size for each stencil, from the step study."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from lab.core.compare import USEFUL
from lab.output import figures
from lab.output.markdown import md_table, scientific
from lab.output.provenance import header
from lab.report.crosscheck_pages import page_rows
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
                          _smallest_working(study.steps, s.errors[name]),
                          _at_smallest(float(s.errors[name][-1]))))
    mine = results.rows_of(backend="finite")
    return (header("Finite differences: error against step size", results.inputs_of(mine))
            + "## Summary and exceptions (finite-difference backend, automatic step)\n\n"
            + page_rows(mine) + "\n"
            + "In theory each stencil's error falls as hᵃ (truncation) until rounding, which grows as "
            "ε/hᵏ, takes over: on log axes a V whose bottom is near h ≈ ε^(1/(a+k)) with error "
            "≈ ε^(a/(a+k)); complex step, Im f(x + ih)/h, subtracts nothing and so has no rounding "
            "branch. What this run measured:\n\n"
            f"![error against h]({fig})\n\n"
            + md_table(["derivative", "method", "best h", "best error ρ",
                        "smallest h that moved x: error there", f"error at h = {study.steps[-1]:.0e}"],
                       table)
            + "\n" + _complex_step(study) + _complex_second(mine) + _largest_best(study)
            + _estimates(results.estimates))


def _smallest_working(steps, errors) -> str:
    """"h: ρ" at the smallest step whose error is finite (where x + h still differed from x)."""
    finite = [i for i, e in enumerate(errors) if np.isfinite(e)]
    return f"{steps[finite[-1]]:.0e}: {scientific(float(errors[finite[-1]]))}" if finite else "none"


def _at_smallest(error: float) -> str:
    """The error at the smallest step, or why there is none: a stencil whose step rounds away
    (x + h == x in float64) divides by zero."""
    return scientific(error) if np.isfinite(error) else "none: the step vanished (x + h = x)"


def _complex_step(study: StepStudy) -> str:
    errors = [float(s.errors[COMPLEX][-1]) for s in study.sweeps if COMPLEX in s.errors]
    if not errors:
        return ""
    worst = max(errors)
    return (f"Complex step at the smallest step, h = {study.steps[-1]:.0e}: error ρ at most "
            f"{scientific(worst)} over {len(errors)} derivative(s) — "
            + ("full float64 precision, as theory says.\n\n" if worst <= FULL_PRECISION else
               "not full precision, unlike what theory says.\n\n"))


def _complex_second(rows: list) -> str:
    """What the second-order complex step reached in this run's cross-check, beside the central
    stencil on the same cases."""
    second = [r for r in rows if r.variant == "complex_step" and r.order == 2]
    if not second:
        return ""
    cases = {(r.case, r.kind) for r in second}
    verdicts = Counter(r.verdict for r in second)
    agreed = [r.max_error for r in second if r.verdict == "agree" and r.max_error is not None]
    central = [r.max_error for r in rows if r.variant == "central" and r.order == 2
               and (r.case, r.kind) in cases and r.max_error is not None]
    return ("Second derivatives and Hessians by complex step (Lai & Crassidis' step along "
            "e^(iπ/4): f'' ≈ Im[f(x + r + ir) + f(x − r − ir)] / (2r²), which subtracts no f(x), "
            "with r ≈ ε^(1/5) and Richardson's estimate from 2r): "
            + ", ".join(f"{n} row(s) {v}" for v, n in verdicts.items())
            + (f"; largest error ρ where it agreed {scientific(max(agreed))}" if agreed else "")
            + (f", against {scientific(max(central))} for the central stencil on the same cases"
               if central else "") + ".\n\n")


def _largest_best(study: StepStudy) -> str:
    """Where the largest step tried was the best: whether the measured errors there look like
    rounding alone (the error rising steadily as h shrinks), the reading theory gives for a
    stencil whose truncation terms vanish."""
    largest = float(study.steps[0])
    found = [(s, name) for s in study.sweeps for name, (h, _) in s.best().items() if h == largest]
    if not found:
        return ""

    def rounding_only(errors) -> bool:
        e = np.asarray(errors, dtype=np.float64)
        e = e[np.isfinite(e) & (e > 0)]
        # Rounding error grows as ε/hᵏ: every shrink of h must not lower the error much.
        return len(e) > 2 and bool(np.all(e[1:] >= e[:-1] / 2))

    steady = [f"{name} for {s.title}" for s, name in found if rounding_only(s.errors[name])]
    return (f"The best step was the largest one tried (h = {largest:g}) for: "
            f"{'; '.join(f'{n} for {s.title}' for s, n in found)}. In {len(steady)} of these the "
            "error never falls (by more than half) as h shrinks"
            + (f" ({'; '.join(steady)})" if steady and len(steady) < len(found) else "")
            + ": the signature of rounding alone, which theory expects when the stencil's "
            "truncation terms vanish (they involve the function's higher derivatives, zero for a "
            "polynomial of low enough degree).\n\n")


def _estimates(rows: list | None) -> str:
    """numdifftools' own error estimate beside its true error (lab.studies.estimates)."""
    if not rows:
        return ""
    table = [(f"{r.function}, order {r.order}", f"{r.point:g}", f"{r.value:.17g}", scientific(r.estimate),
              scientific(r.error), "yes" if r.bounded else "**no**") for r in rows]
    missed = [f"{r.function} order {r.order}" for r in rows if not r.bounded]
    useless = [f"{r.function} order {r.order}" for r in rows
               if r.estimate / max(1.0, abs(r.exact)) > USEFUL]
    return ("## numdifftools: its error estimate beside the true error\n\n"
            "numdifftools extrapolates central differences over a sequence of steps (Richardson) "
            "and returns an estimate of its own error with each value; the cross-check holds it to "
            "that estimate. Against the exact reference, at one point each:\n\n"
            + md_table(["derivative", "x", "numdifftools", "its estimate", "true error",
                        "estimate ≥ true error"], table)
            + f"\nThe estimate bounded the true error in {len(rows) - len(missed)} of {len(rows)} "
            + (f"cases; it did not for {', '.join(missed)}. " if missed else "cases. ")
            + _overstatement(rows)
            + (f"It exceeded the useful accuracy ({USEFUL:.0e} relative to max(1, |f⁽ᵏ⁾|)) for "
               f"{', '.join(useless)}: there the tolerance policy gives `inaccurate`, not "
               "`agree`.\n\n" if useless else
               f"It stayed within the useful accuracy ({USEFUL:.0e}) everywhere.\n\n"))


def _overstatement(rows: list) -> str:
    ratios = [r.estimate / r.error for r in rows if r.error > 0]
    if not ratios:
        return ""
    return (f"Where the true error was not 0, the estimate was {min(ratios):.2g} to "
            f"{max(ratios):.2g} times the true error. ")
