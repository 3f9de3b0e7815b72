"""The losses page: curves of each loss and its gradient, the vanishing gradient, curvature at the
optimum, and the cross-check rows — every number read from the run's results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab.output import figures
from lab.output.markdown import md_table, scientific, span
from lab.output.provenance import header
from lab.report.crosscheck_pages import page_rows
from lab.report.results import LossCurves, Results

COURSE_PLOT = "course plot (2·…)"
FAR = (0.9, -8.0)  # target y₁ and z₁ − z₀: the model is confidently wrong
SAME = 1e-9  # curves closer than this coincide on any plot


def losses_page(results: Results, out: Path) -> str:
    """Loss curves and the sentences about them, then the cross-check rows of the losses."""
    curves = results.losses
    fig = figures.loss_curves(curves.d, curves.values, curves.grads, out)
    mine = results.rows_of(exercise="losses")
    return (header("Losses: SE, CE, KL, BCE, L1 and their gradients", results.inputs_of(mine))
            + "## Summary and exceptions\n\n" + page_rows(mine) + "\n"
            + "Gradients with respect to the probabilities p and to the logits z (through softmax; "
            "BCE through the sigmoid, since its outputs are independent probabilities). "
            "Closed forms: ∂SE/∂p = 2(p − y), ∂CE/∂p = ∂KL/∂p = −y/p, ∂CE/∂z = ∂KL/∂z = p − y "
            "(when Σy = 1), ∂BCE/∂z = σ(z) − y, and for n = 2 ∂SE/∂z₁ = 4p₁(1 − p₁)(p₁ − y₁); "
            "the cross-check below tests each against the exact gradient.\n\n"
            f"![loss and gradient curves]({fig})\n\n" + _parallel(curves) + "\n\n"
            + _vanishing(curves) + _curvature(curves)
            + "")


def _parallel(c: LossCurves) -> str:
    """Whether KL and CE differ by a constant along every curve, and the course plot's ratio."""
    offset = max(float(np.ptp(v["KL"] - v["CE"])) for v in c.values.values())
    grad_gap = max(float(np.max(np.abs(g["KL"] - g["CE"]))) for g in c.grads.values())
    text = (f"Curves along z = (0, d), gradients by {c.method}: KL − CE varies by at most "
            f"{scientific(offset)} along a curve and their gradients differ by at most "
            f"{scientific(grad_gap)}, ")
    text += ("so KL and CE are parallel (they differ by the entropy H(y), a constant in z) and their "
             "gradient curves coincide." if offset < SAME and grad_gap < SAME else
             "so KL and CE are not parallel here.")
    ratio = _ratio(c)
    if ratio is not None:
        text += (f" The dotted black curve is the course's plotting formula 2p₁(1 − p₁)(p₁ − y₁): "
                 f"{span(*ratio)} times the true ∂SE/∂z₁ along the curves"
                 + (", i.e. half of it (see the errata)." if np.allclose(ratio, 0.5) else "."))
    return text


def _ratio(c: LossCurves) -> tuple[float, float] | None:
    """(smallest, largest) ratio of the course's plotted SE gradient to the true one."""
    ratios = []
    for g in c.grads.values():
        if COURSE_PLOT in g:
            true = g["SE"]
            keep = np.abs(true) > 1e-12
            ratios.append(g[COURSE_PLOT][keep] / true[keep])
    if not ratios:
        return None
    every = np.concatenate(ratios)
    return float(every.min()), float(every.max())


def _vanishing(c: LossCurves) -> str:
    y1, d = FAR
    if y1 not in c.grads:
        return ""
    at = int(np.argmin(np.abs(c.d - d)))
    g = {name: float(c.grads[y1][name][at]) for name in ("CE", "KL", "SE", "L1")}
    table = md_table(["loss", "∂loss/∂z₁"], [(name, f"{v:.2e}") for name, v in g.items()])
    ratio = abs(g["SE"]) / max(abs(g["CE"]), 1e-300)
    verdict = (f"SE's gradient is {ratio:.1g} of CE's: it has almost vanished (it carries a factor "
               "p₁(1 − p₁) → 0) while CE keeps pushing a bad answer." if ratio < 0.05 else
               f"SE's gradient is {ratio:.2g} of CE's: it has not vanished here.")
    return (f"## Vanishing gradient\n\nTarget y₁ = {y1} and z₁ − z₀ = {c.d[at]:g} (the model is "
            "confidently wrong): ∂loss/∂z₁ is\n\n" + table + f"\n{verdict}\n\n")


def _curvature(c: LossCurves) -> str:
    kl, se = c.curvature.get("KL"), c.curvature.get("SE")
    if kl is None or se is None:
        return ""
    claim = (f"SE is {kl / se:.1f}× flatter there, as the course says." if kl > se > 0 else
             "SE is not flatter there, contrary to the course's remark.")
    return (f"At the optimum for y₁ = {c.curvature_y1} the curvature ∂²/∂z₁² ({c.method}'s Hessian) "
            f"is {kl:.4f} for KL and {se:.4f} for SE: {claim}\n\n")
