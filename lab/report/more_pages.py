"""Pages for the logic exercise and for where differentiation breaks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab.crosscheck import Row
from lab.logic import CORNERS, evaluate, realize_all
from lab.report import figures
from lab.report.crosscheck_pages import notes, per_case_table
from lab.report.markdown import md_table
from lab.report.meta import header
from lab.studies.breakage import Study, all_studies
from lab.studies.graph import trace


def _corner_grid(network) -> np.ndarray:
    out = evaluate(network, CORNERS[:, 0], CORNERS[:, 1])
    # rows: b = −1, +1 (origin lower); columns: a = −1, +1
    return np.array([[out[0], out[2]], [out[1], out[3]]])


def logic_page(rows: list[Row], out: Path) -> str:
    found = realize_all()
    fig = figures.logic_grids([(r.name, _corner_grid(r.network)) for r in found], out)
    table = []
    for r in found:
        outputs = " ".join("+1" if v > 0 else "−1" for v in r.table)
        if r.weights:
            how = "w_a = {:g}, w_b = {:g}, bias = {:g}".format(*r.weights)
        else:
            how = f"none — linprog: {r.lp_status}; built from {len(r.network) - 1} hidden neurons + OR"
        table.append((r.name, outputs, how))
    non_constant = [r for r in found if not r.constant]
    single = [r for r in non_constant if r.weights]
    return (header("McCulloch-Pitts neurons: the 16 two-input boolean functions")
            + "A neuron computes sign(w_a·a + w_b·b + bias) on inputs in {−1, +1}. For each function "
            "the lab asks `scipy.optimize.linprog` for weights with yₖ(w·xₖ + bias) ≥ 1 at all four "
            "corners; an infeasible linear program proves that no single neuron exists.\n\n"
            f"**{len(non_constant)} non-constant functions, {len(single)} of them realizable by one "
            f"neuron**; the others — {', '.join(r.name for r in non_constant if not r.weights)} — "
            "are not, and are built from two layers (one detector neuron per +1 corner, then OR). "
            "The course's answers (12; XOR and XNOR) agree.\n\n"
            f"![logic grids]({fig})\n\nWhite = +1, black = −1, orange = 0.\n\n"
            + md_table(["function", "outputs at (a,b) = (−1,−1) (−1,+1) (+1,−1) (+1,+1)",
                        "single-neuron weights"], table))


def _study_table(s: Study) -> str:
    def fmt(v):
        return f"{v:.6g}" if isinstance(v, float) else f"`{v}`"

    rows = [(f"{x:g}", *(fmt(col[i]) for col in s.columns.values())) for i, x in enumerate(s.inputs)]
    return (f"### {s.title}\n\n" + md_table(["input", *s.columns], rows) + "\n"
            + "\n".join(s.notes) + "\n")


def breakage_page(rows: list[Row], out: Path) -> str:
    nodes = trace(2.0, 1.0)
    fig = figures.computation_graph(nodes, out)
    graph_rows = [r for r in rows if r.exercise == "graph"]
    tape_rows = [r for r in rows if r.backend == "tape"]
    return (header("Computation graphs, the numpy tape, and where each method breaks")
            + "## The lecture's graph e = (a + b)(b + 1)\n\n"
            f"![computation graph]({fig})\n\nAt a = 2, b = 1: e = {nodes['e = c·d'][0]:g}, "
            f"∂e/∂a = {nodes['a'][1]:g}, ∂e/∂b = {nodes['b'][1]:g} (b feeds both c and d; the two "
            "adjoints add). Every backend:\n\n" + per_case_table(graph_rows)
            + "\n## The tape backend\n\n`lab/backends/tape.py` records each op with its local "
            "vector-Jacobian product and walks the record backwards. Its backward pass computes with "
            "plain numpy values, so it differentiates once: orders above 1 and Hessians are "
            "`unsupported`, by design.\n\n" + per_case_table(tape_rows) + "\n" + notes(tape_rows)
            + "\n## Where each method breaks\n\n" + "\n".join(_study_table(s) for s in all_studies()))
