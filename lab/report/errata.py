"""The course errata page: every place the course material turned out wrong, with the evidence
computed here."""

from __future__ import annotations

import numpy as np

from lab.backends import compute, select
from lab.crosscheck import Row
from lab.exercises.losses import LOSSES, wrt_logits
from lab.exercises.softmax import normalize, softmax
from lab.report.markdown import e
from lab.report.meta import header


def _se_constant(rows: list[Row]) -> str:
    plot = [r for r in rows if r.variant.startswith("course plot")]
    derived = [r for r in rows if r.variant.startswith("course derivation")]
    if not plot or not derived:
        return ""
    return ("1. **∂SE/∂z₁ for n = 2: the plotting code's constant is wrong, the derivation is right.** "
            "The notebook derives 4p₁(1 − p₁)(p₁ − y₁) but `compare_grad` plots "
            "`2 * p[1] * (1 - p[1]) * (p[1] - y1)`. With n = 2, SE = 2(p₁ − y₁)², so the chain rule "
            "gives 4·(p₁ − y₁)·p₁(1 − p₁). Evidence: against SymPy's exact gradient the derivation "
            f"agrees (max ρ = {e(derived[0].max_error)}) and the plotted formula disagrees "
            f"(max ρ = {e(plot[0].max_error)}; {plot[0].detail.split('. ', 1)[-1]}); the plot shows "
            "exactly half the gradient (see the losses page).\n")


def write(rows: list[Row]) -> str:
    z = np.array([0.3, -0.2])
    y = np.array([0.5, 0.7])  # Σy = 1.2: not a distribution
    p = softmax(z)
    f = wrt_logits(LOSSES["CE"], y, z[None], "").function
    ad = compute(select(["torch.autograd"])[0], "gradient", f, z[None], 1)[0]
    one_hot = [r for r in rows if r.case == "CE(p) y one-hot" and r.backend == "sympy"]
    items = [
        _se_constant(rows),
        "1. **“Derivatives of negative CE … are the same as derivatives of KL” (exercise 1.3, "
        "question 1.2.2).** It is CE itself, not −CE: KL(y‖p) = CE(y; p) − H(y) and H(y) does not "
        "depend on p, so ∂KL/∂pᵢ = ∂CE/∂pᵢ = −yᵢ/pᵢ, whereas ∂(−CE)/∂pᵢ = +yᵢ/pᵢ. Evidence: the "
        "cross-check rows `CE(p)` and `KL(p)` both agree with the closed form −y/p.\n",
        "1. **The lecture's “dL/dŷ = −Σᵢ −1/pᵢ”.** The derivative of CE with respect to the vector ŷ "
        "is a vector, (−yᵢ/ŷᵢ)ᵢ, not a sum; for a one-hot target only the true class's entry, "
        "−1/ŷ_c, is non-zero. Evidence: the exact gradient of `CE(p) y one-hot` is zero in every "
        "other entry" + (f" (SymPy agrees to ρ = {e(one_hot[0].max_error)})" if one_hot else "")
        + ".\n",
        "1. **p − y needs Σy = 1 (question 1.2.3 writes “p₁ + p₂ = 1 and p₁ + p₂ = 1”; the second "
        "should be y₁ + y₂ = 1).** For a target that does not sum to 1 the gradient is p·Σy − y. "
        f"Evidence: at z = (0.3, −0.2), y = (0.5, 0.7) torch autograd gives ∂CE/∂z = {_v(ad)}, "
        f"p − y = {_v(p - y)}, p·Σy − y = {_v(p * y.sum() - y)}.\n",
        "1. **The plotted “L1” is not Σ|pᵢ − yᵢ|.** `sampled_l1 = 2*y0*p[1] + 2*y1*p[0]` is the "
        "expected L1 distance to a one-hot target drawn from y; it equals Σ|p − y| only when y is "
        "one-hot. Evidence: at y₁ = 0.5 and z₁ = z₀ (so p = y) the plotted value is "
        f"{2 * 0.5 * 0.5 + 2 * 0.5 * 0.5:.2f} while Σ|p − y| = 0. The lab plots the true L1.\n",
        "1. **The lecture's two-decimal softmax and normalization values are not correctly rounded.** "
        f"softmax([1, 2]) = {_v(softmax(np.array([1.0, 2.0])))} (the slide: [0.26, 0.73]; rounded: "
        f"[0.27, 0.73]); [11, 12] / 23 = {_v(normalize(np.array([11.0, 12.0])))} (the slide: "
        "[0.47, 0.53]; rounded: [0.48, 0.52]) — off by one in the last digit. The conclusions "
        "(softmax is shift-invariant, "
        "normalization is scale-invariant) hold exactly; see the softmax page.\n",
        "1. **“image_vectors … feature size 4 (RGB+Alpha)” (exercise 1.3.2).** The 4 channels of "
        "the 1×4×64×64 tensor are the VAE's latent channels (`AutoencoderKL(latent_channels=4)`, "
        "the UNet's `in_channels=4`), not colours: the VAE decodes them to 3 RGB channels at 8× "
        "the size. Evidence: the Stable Diffusion page's tensor table and the v1.4 configuration "
        "the counts there are built from.\n",
    ]
    return (header("Course errata") + "Where the course material (homework notebook 1 and the "
            "lecture “More Gradients”) and the lab's exact computations disagree, the lab is right "
            "for the reason given; each item carries the evidence computed in this run.\n\n"
            + "\n".join(i for i in items if i))


def _v(v) -> str:
    return "(" + ", ".join(f"{x:.4f}" for x in np.asarray(v)) + ")"
