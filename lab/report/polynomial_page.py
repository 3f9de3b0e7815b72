"""The polynomial page: p0 and its derivatives of order 1–4, every backend's values drawn."""

from __future__ import annotations

from pathlib import Path

from lab.output.provenance import header
from lab.report.crosscheck_pages import agreement, page_rows
from lab.report.page_figures import polynomial_errors
from lab.report.results import Results

SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def polynomial_text(coefficients) -> str:
    """a0…an as "x⁴ − 2x³ + 3x² − 4x + 5" (highest power first, zero terms left out)."""
    terms = []
    for i in reversed(range(len(coefficients))):
        a = coefficients[i]
        if a == 0:
            continue
        size = abs(a)
        number = "" if size == 1 and i > 0 else f"{size:g}"
        power = "" if i == 0 else "x" if i == 1 else "x" + str(i).translate(SUPERSCRIPTS)
        sign = ("−" if a < 0 else "") if not terms else (" − " if a < 0 else " + ")
        terms.append(sign + number + power)
    return "".join(terms) or "0"


def polynomial_page(results: Results, out: Path) -> str:
    """p0…p4 by the power rule, a figure of every backend's derivatives, the cross-check rows."""
    poly = results.polynomial
    mine = results.rows_of(case=poly.case)
    # Each backend's largest error per order as the cross-check measured it; closed forms are the
    # hand rule, drawn as curves.
    errors: dict[str, list] = {}
    for r in mine:
        if r.backend != "closed_form" and 1 <= r.order <= 4:
            errors.setdefault(f"{r.backend}.{r.variant}", [None] * 4)[r.order - 1] = r.max_error
    hand = [poly.primal] + [next((r.values for r in mine if r.backend == "closed_form"
                                  and r.order == k), None) for k in range(1, len(poly.coefficients))]
    fig = polynomial_errors(hand, poly.points, errors, out)
    forms = ", ".join(f"p{k} = {polynomial_text(c)}" for k, c in enumerate(poly.coefficients) if k)
    closed = [r for r in mine if r.backend == "closed_form"]
    x = poly.points
    return (header("Polynomial: p0 and its derivatives of order 1–4", results.inputs_of(mine))
            + "## Summary and exceptions\n\n" + page_rows(mine) + "\n"
            + f"Homework exercise 1.1: p0(x) = {polynomial_text(poly.coefficients[0])} on "
            f"{len(x)} points in [{x.min():g}, {x.max():g}]. The power rule gives {forms}; each "
            "backend differentiates p0's program k times. "
            + agreement(closed, "the power-rule forms") + "\n\n"
            f"![p0…p4 and every backend's error]({fig})\n\n"
            "")
