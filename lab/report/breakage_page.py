"""The page on computation graphs, the numpy tape, and where each way of differentiating breaks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from lab.output import figures
from lab.output.markdown import md_table
from lab.output.provenance import header
from lab.report.crosscheck_pages import page_rows
from lab.report.results import Results


def breakage_page(results: Results, out: Path) -> str:
    """The lecture's graph traced on the tape, the tape's rows, and the breakage studies."""
    graph_rows = results.rows_of(exercise="graph")
    tape_rows = results.rows_of(backend="tape")
    return (header("Computation graphs, the numpy tape, and where each method breaks",
                   results.inputs_of(tape_rows))
            + "## Summary and exceptions\n\nThe graph exercise: " + page_rows(graph_rows)
            + "\nThe tape backend on every exercise: " + page_rows(tape_rows) + "\n"
            + _graph(results, out)
            + "\n## The tape backend\n\n`lab/backends/tape.py` records each op with its local "
            "vector-Jacobian product and walks the record backwards. Every vjp is written with the "
            "tape's own ops: for first derivatives the backward pass runs them on plain values, and "
            "with `create_graph` it records them, so the backward pass can be differentiated again. "
            "Its mirror image, `lab/backends/taylor.py`, carries Taylor coefficients forward and "
            "gets every order in one sweep. " + _tape_orders(tape_rows)
            + "\n\n## Where each method breaks\n\n" + "\n".join(_study_table(s) for s in results.breakage))


def _graph(results: Results, out: Path) -> str:
    nodes = results.graph
    fig = figures.computation_graph(nodes, out)
    b_adjoint = nodes["b"][1]
    # ∂e/∂b through c and through d: ∂c/∂b = ∂d/∂b = 1, so the paths carry c's and d's adjoints.
    via_c, via_d = nodes["c = a + b"][1], nodes["d = b + 1"][1]
    adds = abs(b_adjoint - (via_c + via_d)) < 1e-12
    return ("## The lecture's graph e = (a + b)(b + 1)\n\n"
            f"![computation graph]({fig})\n\nAt a = {nodes['a'][0]:g}, b = {nodes['b'][0]:g}: "
            f"e = {nodes['e = c·d'][0]:g}, ∂e/∂a = {nodes['a'][1]:g}, ∂e/∂b = {b_adjoint:g}; b feeds "
            f"both c and d, and its adjoint {'is' if adds else 'is not'} the sum of the two paths' "
            f"(∂e/∂c·1 = {via_c:g} and ∂e/∂d·1 = {via_d:g}). Every backend:\n\n")


def _tape_orders(rows) -> str:
    """What the tape did above first order, counted from its rows."""
    higher = [r for r in rows if r.order > 1]
    if not higher:
        return "This run has no tape rows above first order."
    counts = Counter(r.verdict for r in higher)
    verdicts = ", ".join(f"{n} {v}" for v, n in counts.most_common())
    return f"Its {len(higher)} rows of order 2 and above (Hessians included): {verdicts}."


def _study_table(s) -> str:
    def fmt(v):
        """A number in 6 digits; what a method said instead, as code."""
        return f"{v:.6g}" if isinstance(v, float) else f"`{v}`"

    rows = [(f"{x:g}", *(fmt(col[i]) for col in s.columns.values())) for i, x in enumerate(s.inputs)]
    return (f"### {s.title}\n\n" + md_table(["input", *s.columns], rows) + "\n"
            + "\n".join(s.notes) + "\n")
