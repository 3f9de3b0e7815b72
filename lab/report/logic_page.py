"""The McCulloch-Pitts page: the 16 two-input boolean functions, which one neuron can compute, and
the course's answer beside ours."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab.output import figures
from lab.output.markdown import md_table, names
from lab.output.provenance import header
from lab.report.results import LogicResult, Results

# Homework exercise 3.1: "How many of the cases are able to be handled using a single neuron? 12.
# What are the names for the logical operations that require multiple neurons? XOR and XNOR".
COURSE_SINGLE = 12
COURSE_MULTIPLE = ("XOR", "XNOR")


def corner_grid(outputs: np.ndarray) -> np.ndarray:
    """Outputs at the corners (a, b) = (−1,−1), (−1,+1), (+1,−1), (+1,+1) as a 2×2 image:
    rows b = −1, +1 (origin lower), columns a = −1, +1."""
    return np.array([[outputs[0], outputs[2]], [outputs[1], outputs[3]]])


def logic_page(results: Results, out: Path) -> str:
    """The grids, the course's answer against ours, and how each function is realized."""
    found = results.logic
    fig = figures.logic_grids([(r.name, corner_grid(r.outputs)) for r in found], out)
    return (header("McCulloch-Pitts neurons: the 16 two-input boolean functions")
            + "A neuron computes sign(w_a·a + w_b·b + bias) on inputs in {−1, +1}. For each function "
            "the lab asks `scipy.optimize.linprog` for weights with yₖ(w·xₖ + bias) ≥ 1 at all four "
            "corners; an infeasible linear program proves that no single neuron exists, and those "
            "functions are built from two layers (one detector neuron per +1 corner, then OR).\n\n"
            + _answer(found) + " " + _networks_check(found) + "\n\n"
            f"![logic grids]({fig})\n\nThe networks' outputs: white = +1, black = −1, orange = 0.\n\n"
            + md_table(["function", "outputs at (a,b) = (−1,−1) (−1,+1) (+1,−1) (+1,+1)",
                        "single-neuron weights"], [_row(r) for r in found]))


def _answer(found: list[LogicResult]) -> str:
    non_constant = [r for r in found if len(set(r.table)) > 1]
    single = [r for r in non_constant if r.weights]
    multiple = [r.name for r in non_constant if not r.weights]
    ours = (f"**{len(non_constant)} non-constant functions, {len(single)} of them realizable by one "
            f"neuron**; {names(multiple) or 'none'} {'is' if len(multiple) == 1 else 'are'} not.")
    course = f"The course's answer — {COURSE_SINGLE}; {names(COURSE_MULTIPLE)} —"
    if len(single) == COURSE_SINGLE and sorted(multiple) == sorted(COURSE_MULTIPLE):
        return f"{ours} {course} is the same."
    return f"{ours} {course} **differs from ours**."


def _networks_check(found: list[LogicResult]) -> str:
    wrong = [r.name for r in found if not np.array_equal(r.outputs, np.asarray(r.table))]
    if wrong:
        return f"**The networks for {names(wrong)} do not output their function's table.**"
    return "Every network, evaluated at the four corners, outputs its function's table."


def _row(r: LogicResult) -> tuple[str, str, str]:
    outputs = " ".join("+1" if v > 0 else "−1" for v in r.table)
    if r.weights:
        how = "w_a = {:g}, w_b = {:g}, bias = {:g}".format(*r.weights)
    else:
        how = f"none — linprog: {r.lp_status}; built from {r.hidden_neurons} hidden neurons + OR"
    return r.name, outputs, how
