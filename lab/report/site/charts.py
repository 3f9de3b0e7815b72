"""The site's interactive figures (plotly): the same results as the report's PNGs, with hover
values, series toggled from the legend, and log axes where errors span decades. Each function
returns a figure or None when the results lack what it draws; `CHARTS` maps a PNG to its chart."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.report.results import Results
from lab.report.site.rows import method

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
           "#e6550d", "#31a354", "#756bb1", "#636363", "#9c9ede", "#cedb9c", "#e7ba52", "#e7969c")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "x", "cross", "star")


def _finite(values) -> list:
    """Values for plotly: non-finite ones become gaps (None)."""
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=np.float64)]


def _positive(values) -> list:
    """Values for a log axis: zero, negative and non-finite ones become gaps."""
    return [v if v is not None and v > 0 else None for v in _finite(values)]


def polynomial(results: Results) -> go.Figure | None:
    """p0's k-th derivative by every method (one colour and marker each), the power rule dashed."""
    poly = results.polynomial
    if poly is None:
        return None
    rows = [r for r in results.rows_of(case=poly.case) if r.values is not None]
    fig = make_subplots(2, 2, subplot_titles=[f"order {k}" for k in range(1, 5)])
    names = list(dict.fromkeys(method(r) for r in rows if r.backend != "closed_form"))
    x = poly.points
    for r in rows:
        if not 1 <= r.order <= 4:
            continue
        where = dict(row=(r.order - 1) // 2 + 1, col=(r.order - 1) % 2 + 1)
        name = method(r)
        if r.backend == "closed_form":
            style = dict(mode="lines", line=dict(color="black", dash="dash"))
        else:
            j = names.index(name)
            style = dict(mode="markers", marker=dict(color=PALETTE[j % len(PALETTE)], size=5,
                                                     symbol=SYMBOLS[j % len(SYMBOLS)]))
        fig.add_trace(go.Scatter(x=x, y=_finite(r.values), name=name, legendgroup=name,
                                 showlegend=r.order == 1, **style), **where)
    fig.update_layout(title="p0's derivatives: every method (markers) and the power rule (dashed)",
                      height=720)
    return fig


def finite_differences(results: Results) -> go.Figure | None:
    """Error ρ against the step h on log axes, one panel per derivative, one line per stencil."""
    study = results.steps
    if study is None:
        return None
    cols = 3
    rows = -(-len(study.sweeps) // cols)
    fig = make_subplots(rows, cols, subplot_titles=[s.title for s in study.sweeps])
    stencils = list(dict.fromkeys(n for s in study.sweeps for n in s.errors))
    for i, s in enumerate(study.sweeps):
        for name, errors in s.errors.items():
            j = stencils.index(name)
            fig.add_trace(go.Scatter(x=study.steps, y=_positive(errors), name=name, legendgroup=name,
                                     showlegend=i == 0, mode="lines+markers",
                                     line=dict(color=PALETTE[j])), row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(type="log", autorange="reversed", title_text="step h")
    fig.update_yaxes(type="log", title_text="error ρ")
    fig.update_layout(title="Finite differences: error against step", height=330 * rows)
    return fig


def losses(results: Results) -> go.Figure | None:
    """Each loss and its gradient along z = (0, d), one column per target."""
    curves = results.losses
    if curves is None:
        return None
    targets = list(curves.values)
    fig = make_subplots(2, len(targets), shared_xaxes=True,
                        subplot_titles=[f"loss, y₁ = {y}" for y in targets]
                        + [f"∂loss/∂z₁, y₁ = {y}" for y in targets])
    names = list(dict.fromkeys(n for y in targets for n in (*curves.values[y], *curves.grads[y])))
    for col, y in enumerate(targets, start=1):
        for row, table in ((1, curves.values[y]), (2, curves.grads[y])):
            for name, v in table.items():
                j = names.index(name)
                fig.add_trace(go.Scatter(x=curves.d, y=_finite(v), name=name, legendgroup=name,
                                         showlegend=col == 1 and (row == 1 or name not in curves.values[y]),
                                         mode="lines", line=dict(color=PALETTE[j])), row=row, col=col)
    fig.update_xaxes(title_text="z₁ − z₀", row=2)
    fig.update_layout(title=f"Losses and gradients (gradients by {curves.method})", height=620)
    return fig


def softmax(results: Results) -> go.Figure | None:
    """The difference between an AD Jacobian and diag(p) − p pᵀ, coloured around 0."""
    from lab.report.softmax_page import GENERAL_FORM, HEATMAP_CASE, HEATMAP_METHOD

    rows = results.rows_of(case=HEATMAP_CASE)
    pick = {(r.backend, r.variant): r for r in rows if r.values is not None}
    computed, closed = pick.get(HEATMAP_METHOD), pick.get(("closed_form", GENERAL_FORM))
    if computed is None or closed is None:
        return None
    diff = np.asarray(computed.values[0]) - np.asarray(closed.values[0])
    fig = go.Figure(go.Heatmap(z=diff, zmid=0, colorscale="RdBu_r", colorbar=dict(title="Δ")))
    fig.update_yaxes(autorange="reversed", title_text="i (p_i)")
    fig.update_xaxes(title_text="j (∂/∂z_j)")
    fig.update_layout(title=f"{'.'.join(HEATMAP_METHOD)} − closed form ({HEATMAP_CASE}, first point)",
                      height=520)
    return fig


CHARTS: dict[str, Callable[[Results], go.Figure | None]] = {
    "polynomial.png": polynomial, "finite_difference_steps.png": finite_differences,
    "loss_curves.png": losses, "softmax_jacobian.png": softmax}


def chart_html(fig: go.Figure, div_id: str) -> str:
    """The figure as a <div> and the script that draws it (plotly.js is loaded by the page)."""
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       default_width="100%", config={"responsive": True, "displaylogo": False})
