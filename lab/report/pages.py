"""One function per report page: results in, markdown out (figures written beside it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab.backends import compute, select
from lab.crosscheck import Row
from lab.exercises.losses import LOSSES, se_two_class_forms, wrt_logits
from lab.exercises.polynomial import COURSE_COEFFICIENTS, closed_forms, course_case, horner
from lab.exercises.softmax import jacobian_closed_form, normalize, softmax, softmax_case
from lab.report import figures
from lab.report.crosscheck_pages import notes, per_case_table
from lab.report.markdown import e, md_table
from lab.report.meta import SEED, header
from lab.studies.steps import STEPS, sweeps


def polynomial_page(rows: list[Row], out: Path) -> str:
    case = course_case()
    x = case.points
    hand = [horner(COURSE_COEFFICIENTS, x)] + [f.compute(x) for f in closed_forms(COURSE_COEFFICIENTS,
                                                                                    (1, 2, 3, 4))]
    # The cross-check already computed every backend's derivatives: draw those values.
    by_method: dict[str, list] = {}
    for r in rows:
        if r.case == case.name and r.backend != "closed_form":
            by_method.setdefault(f"{r.backend}.{r.variant}", [None] * 4)[r.order - 1] = r.values
    fig = figures.polynomial_panels(x, hand, by_method, out)
    mine = [r for r in rows if r.exercise == "polynomial"]
    return (header("Polynomial: p0 and its derivatives of order 1–4")
            + "Homework exercise 1.1: p0(x) = x⁴ − 2x³ + 3x² − 4x + 5 on 100 points in [−2, 3]. "
            "The power rule gives p1 = 4x³ − 6x² + 6x − 4, p2 = 12x² − 12x + 6, p3 = 24x − 12, p4 = 24; "
            "each backend differentiates the program `x**4 - 2*x**3 + 3*x**2 - 4*x + 5` k times.\n\n"
            f"![p0…p4 and every backend]({fig})\n\n"
            "## Cross-check against the exact reference\n\n" + per_case_table(mine)
            + "\n" + notes(mine))


def softmax_page(rows: list[Row], out: Path) -> str:
    case = softmax_case(8, np.random.default_rng(SEED).normal(0.0, 3.0, size=(1, 8)))
    jac = compute(select(["jax.jit"])[0], "jacobian", case.function, case.points, 1)[0]
    fig = figures.jacobian_heatmaps(case.points[0], jac, jacobian_closed_form(case.points[0]),
                                    "JAX jacrev (jit)", out)
    lecture = [("[1, 2]", [1.0, 2.0]), ("[10, 20]", [10.0, 20.0]), ("[11, 12] (= [1, 2] + 10)",
                                                                     [11.0, 12.0]),
               ("[20, 30] (= [10, 20] + 10)", [20.0, 30.0]), ("[2, 4] (= 2·[1, 2])", [2.0, 4.0])]
    numbers = md_table(["logits z", "softmax(z)", "z / Σz"],
                       [(name, _vec(softmax(np.array(z))), _vec(normalize(np.array(z))))
                        for name, z in lecture])
    z = np.array([1.0, 2.0, 0.5])
    shift = float(np.max(np.abs(softmax(z + 100.0) - softmax(z))))
    scale = float(np.max(np.abs(softmax(3 * z) - softmax(z))))
    mine = [r for r in rows if r.exercise == "softmax"]
    return (header("Softmax and its Jacobian")
            + "pᵢ = exp(zᵢ) / Σⱼ exp(zⱼ); ∂pᵢ/∂zⱼ = pᵢ(δᵢⱼ − pⱼ), i.e. J = diag(p) − p pᵀ "
            "(for n = 2 the course's [[p1p2, −p1p2], [−p1p2, p1p2]]).\n\n"
            f"![softmax Jacobian]({fig})\n\n"
            "## Softmax against plain normalization (the lecture's examples)\n\n" + numbers
            + f"\nSoftmax ignores an added constant (max |softmax(z + 100) − softmax(z)| = {shift:.1e} "
            f"for z = (1, 2, 0.5)) but not a factor (max |softmax(3z) − softmax(z)| = {scale:.2f}); "
            "normalization is the other way round. The program subtracts max z before exp, which the "
            "shift invariance allows, so logits of ±1000 do not overflow.\n\n"
            "## Cross-check against the exact reference\n\n" + per_case_table(mine) + "\n" + notes(mine))


def _vec(v) -> str:
    return "[" + ", ".join(f"{x:.4g}" for x in v) + "]"


def loss_curve_data(d: np.ndarray, y1: float):
    """Loss values and ∂loss/∂z₁ (AD, jax.jit) along z = (0, d) for target (1 − y₁, y₁)."""
    y = np.array([1 - y1, y1])
    z = np.stack([np.zeros_like(d), d], axis=1)
    method = select(["jax.jit"])[0]
    values, grads = {}, {}
    for name in ("KL", "CE", "SE", "L1"):
        f = wrt_logits(LOSSES[name], y, z[:1], "").function
        values[name] = np.array([float(f.program(row)) for row in z])
        grads[name] = compute(method, "gradient", f, z, 1)[:, 1]
    grads["course plot (2·…)"] = np.array([se_two_class_forms(y)[1].compute(row)[1] for row in z])
    return values, grads


def losses_page(rows: list[Row], out: Path) -> str:
    d = np.linspace(-10, 10, 401)
    targets = (0.1, 0.5, 0.9)
    data = {y1: loss_curve_data(d, y1) for y1 in targets}
    fig = figures.loss_curves(d, {y: v[0] for y, v in data.items()}, {y: v[1] for y, v in data.items()},
                              out)
    at = int(np.argmin(np.abs(d + 8)))  # z₁ − z₀ = −8, target y₁ = 0.9: confidently wrong
    far = [(name, f"{data[0.9][1][name][at]:.2e}") for name in ("CE", "KL", "SE", "L1")]
    curv = _curvature_at_optimum(0.1)
    mine = [r for r in rows if r.exercise == "losses"]
    return (header("Losses: SE, CE, KL, BCE, L1 and their gradients")
            + "Gradients with respect to the probabilities p and to the logits z (through softmax; "
            "BCE through the sigmoid, since its outputs are independent probabilities). "
            "Closed forms: ∂SE/∂p = 2(p − y), ∂CE/∂p = ∂KL/∂p = −y/p, ∂CE/∂z = ∂KL/∂z = p − y "
            "(when Σy = 1), ∂BCE/∂z = σ(z) − y, and for n = 2 ∂SE/∂z₁ = 4p₁(1 − p₁)(p₁ − y₁).\n\n"
            f"![loss and gradient curves]({fig})\n\n"
            "Curves along z = (0, d): KL and CE are parallel (they differ by the entropy H(y), a "
            "constant in z), so their gradient curves coincide. The dotted black curve is the course's "
            "plotting formula 2p₁(1 − p₁)(p₁ − y₁): half of the true ∂SE/∂z₁ (see the errata).\n\n"
            "## Vanishing gradient\n\nTarget y₁ = 0.9 and z₁ − z₀ = −8 (the model is confidently "
            "wrong): ∂loss/∂z₁ is\n\n" + md_table(["loss", "∂loss/∂z₁"], far)
            + "\nSE's gradient has almost vanished (it carries a factor p₁(1 − p₁) → 0) while CE's "
            "stays near p₁ − y₁ ≈ −0.9: CE keeps pushing a bad answer, SE barely does.\n\n"
            f"At the optimum for y₁ = 0.1 the curvature ∂²/∂z₁² is {curv['KL']:.4f} for KL and "
            f"{curv['SE']:.4f} for SE: SE is {curv['KL'] / curv['SE']:.1f}× flatter there, as the "
            "course says.\n\n## Cross-check against the exact reference\n\n" + per_case_table(mine)
            + "\n" + notes(mine))


def _curvature_at_optimum(y1: float) -> dict[str, float]:
    # At the optimum p₁ = y₁: KL'' = p₁(1 − p₁) and SE'' = 4[p₁(1 − p₁)]², from the formulas above;
    # checked here by JAX's Hessian of the programs at d = logit(y₁).
    d = np.log(y1 / (1 - y1))
    y = np.array([1 - y1, y1])
    method = select(["jax.jit"])[0]
    out = {}
    for name in ("KL", "SE"):
        f = wrt_logits(LOSSES[name], y, np.zeros((1, 2)), "").function
        out[name] = float(compute(method, "hessian", f, np.array([[0.0, d]]), 2)[0][1, 1])
    return out


def finite_differences_page(rows: list[Row], out: Path) -> str:
    studies = sweeps()
    fig = figures.error_vs_step(STEPS, {s.title: s.errors for s in studies}, out)
    table = []
    for s in studies:
        for name, (h, err) in s.best().items():
            table.append((s.title, name, f"{h:.0e}", e(err), e(float(s.errors[name][-1]))))
    mine = [r for r in rows if r.backend == "finite"]
    return (header("Finite differences: error against step size")
            + "Each stencil's error falls as hᵃ (truncation) until rounding, which grows as ε/hᵏ, "
            "takes over: on log axes a V whose bottom is near h ≈ ε^(1/(a+k)) with error "
            "≈ ε^(a/(a+k)). Complex step, Im f(x + ih)/h, subtracts nothing and keeps full "
            "precision down to the smallest h. For p0 the higher stencils are exact up to rounding "
            "(p0 is a quartic, so the truncation terms vanish), and the best step is the largest.\n\n"
            f"![error against h]({fig})\n\n"
            + md_table(["derivative", "method", "best h", "best error ρ", "error at h = 1e-16"], table)
            + "\n## Cross-check of the finite-difference backend (automatic step)\n\n"
            + per_case_table(mine) + "\n" + notes(mine))
