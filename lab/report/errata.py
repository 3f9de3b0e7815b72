"""The course errata page: where the course material is wrong, each item with the evidence this run
computed — and a plain statement when the run's results do not bear an item out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.check.crosscheck import Row
from lab.output.markdown import names, scientific, span, vector
from lab.output.provenance import header
from lab.report.results import Results

SAME = 1e-12  # values closer than this are equal up to float64 rounding
# The lecture's two-decimal values ("More Gradients"): (what, logits, the slide's numbers).
SLIDE_VALUES = (("softmax([1, 2])", "softmax", (1.0, 2.0), (0.26, 0.73)),
                ("[11, 12] / 23", "normalize", (11.0, 12.0), (0.47, 0.53)))


@dataclass
class Item:
    """One erratum: what is wrong and why, the evidence from this run, and whether it confirms it."""

    title: str
    why: str
    evidence: str
    confirmed: bool

    def markdown(self) -> str:
        """A numbered markdown item; one the run does not confirm says so in bold."""
        doubt = "" if self.confirmed else " **This run's results do not confirm this item.**"
        return f"1. **{self.title}**{doubt} {self.why} Evidence: {self.evidence}\n"


def errata_page(results: Results) -> str:
    """Every erratum with its evidence, and how many of them this run confirms."""
    items = [i for i in (se_constant(results.rows), ce_kl(results.rows), one_hot(results.rows),
                         target_sum(results), sampled_l1(results), rounding(results),
                         latent_channels(results)) if i is not None]
    confirmed = sum(i.confirmed for i in items)
    return (header("Course errata", results.inputs(["losses"]))
            + "Where the course material (homework notebook 1 and the lecture “More Gradients”) and "
            "the lab's exact computations disagree. Each item carries the evidence computed in this "
            f"run; {confirmed} of {len(items)} items are confirmed by it.\n\n"
            + "\n".join(i.markdown() for i in items))


def _values_row(rows: list[Row], case: str) -> Row | None:
    """A row of `case` that agrees with the exact reference and kept its values (SymPy first)."""
    found = [r for r in rows if r.case == case and r.backend != "closed_form"
             and r.verdict == "agree" and r.values is not None]
    return next((r for r in found if r.backend == "sympy"), found[0] if found else None)


def se_constant(rows: list[Row]) -> Item | None:
    """The course's plotting code halves ∂SE/∂z₁; its derivation has the right constant."""
    plot = next((r for r in rows if r.variant.startswith("course plot")), None)
    derived = next((r for r in rows if r.variant.startswith("course derivation")), None)
    if plot is None or derived is None:
        return None
    evidence = (f"against SymPy's exact gradient the derivation's row says **{derived.verdict}** "
                f"(max ρ = {scientific(derived.max_error)}) and the plotted formula's says "
                f"**{plot.verdict}** (max ρ = {scientific(plot.max_error)})")
    half = False
    if plot.values is not None and derived.values is not None:
        keep = np.abs(derived.values) > SAME
        ratio = plot.values[keep] / derived.values[keep]
        half = bool(ratio.size) and bool(np.allclose(ratio, 0.5))
        evidence += (f"; the plotted values are {span(ratio.min(), ratio.max())} times the "
                     "derivation's" if ratio.size else "")
    return Item("∂SE/∂z₁ for n = 2: the plotting code's constant is wrong, the derivation is right.",
                "The notebook derives 4p₁(1 − p₁)(p₁ − y₁) but `compare_grad` plots "
                "`2 * p[1] * (1 - p[1]) * (p[1] - y1)`. With n = 2, SE = 2(p₁ − y₁)², so the chain "
                "rule gives 4·(p₁ − y₁)·p₁(1 − p₁).", evidence + ".",
                derived.verdict == "agree" and plot.verdict == "disagree" and half)


def ce_kl(rows: list[Row]) -> Item | None:
    """∂KL/∂p equals ∂CE/∂p, not ∂(−CE)/∂p, compared on the exact gradients the run computed."""
    parts, confirmed = [], True
    for ce_case in sorted({r.case for r in rows if r.case.startswith("CE(p) ")}):
        kl_case = "KL" + ce_case[2:]
        ce, kl = _values_row(rows, ce_case), _values_row(rows, kl_case)
        if ce is None or kl is None:
            continue
        same = float(np.max(np.abs(ce.values - kl.values)))
        negated = float(np.max(np.abs(-ce.values - kl.values)))
        parts.append(f"`{ce_case}` and `{kl_case}` ({ce.backend}.{ce.variant}, which agrees with the "
                     f"exact reference): max |∂CE/∂p − ∂KL/∂p| = {scientific(same)}, "
                     f"max |∂(−CE)/∂p − ∂KL/∂p| = {negated:.3g}")
        confirmed &= same < SAME < negated
    forms = [r for r in rows if r.backend == "closed_form" and r.variant == "-y / p"
             and (r.case.startswith("CE(p) ") or r.case.startswith("KL(p) "))]
    if not parts:
        return None
    verdicts = ", ".join(f"{r.case}: {r.verdict}" for r in forms)
    confirmed &= all(r.verdict == "agree" for r in forms)
    return Item("“Derivatives of negative CE … are the same as derivatives of KL” (exercise 1.3, "
                "question 1.2.2).", "It is CE itself, not −CE: KL(y‖p) = CE(y; p) − H(y) and H(y) "
                "does not depend on p, so ∂KL/∂pᵢ = ∂CE/∂pᵢ = −yᵢ/pᵢ, whereas ∂(−CE)/∂pᵢ = +yᵢ/pᵢ.",
                "; ".join(parts) + (f". The closed form −y/p: {verdicts}." if forms else "."),
                confirmed)


def one_hot(rows: list[Row]) -> Item | None:
    """For a one-hot target, ∂CE/∂p is a vector with one non-zero entry, not a sum."""
    row = _values_row(rows, "CE(p) y one-hot")
    if row is None:
        return None
    values = np.asarray(row.values)
    nonzero = [int(j) for j in np.flatnonzero(np.any(values != 0, axis=0))]
    return Item("The lecture's “dL/dŷ = −Σᵢ −1/pᵢ”.",
                "The derivative of CE with respect to the vector ŷ is a vector, (−yᵢ/ŷᵢ)ᵢ, not a sum; "
                "for a one-hot target only the true class's entry, −1/ŷ_c, is non-zero.",
                f"{row.backend}.{row.variant}'s gradient of `CE(p) y one-hot` (agreeing with the exact "
                f"reference to ρ = {scientific(row.max_error)}) is non-zero in entr"
                f"{'y' if len(nonzero) == 1 else 'ies'} {names([str(j) for j in nonzero]) or 'none'} of "
                f"{values.shape[-1]} at all {values.shape[0]} points.", len(nonzero) == 1)


def target_sum(results: Results) -> Item | None:
    """p − y is the gradient of CE on softmax only when Σy = 1."""
    t = results.target_sum
    if t is None:
        return None
    to_general = float(np.max(np.abs(t.autograd - t.p_sum_y_minus_y)))
    to_course = float(np.max(np.abs(t.autograd - t.p_minus_y)))
    return Item("p − y needs Σy = 1 (question 1.2.3 writes “p₁ + p₂ = 1 and p₁ + p₂ = 1”; the second "
                "should be y₁ + y₂ = 1).", "For a target that does not sum to 1 the gradient is "
                "p·Σy − y.", f"at z = {vector(t.z, 1)}, y = {vector(t.y, 1)} (Σy = {t.y.sum():g}) "
                f"{t.method} gives ∂CE/∂z = {vector(t.autograd)}, p − y = {vector(t.p_minus_y)}, "
                f"p·Σy − y = {vector(t.p_sum_y_minus_y)}: autograd is {scientific(to_general)} from "
                f"p·Σy − y and {to_course:.3g} from p − y.", to_general < SAME < to_course)


def sampled_l1(results: Results) -> Item | None:
    """The course's plotted "L1" is an expected distance, not Σ|p − y|."""
    s = results.sampled_l1
    if s is None:
        return None
    return Item("The plotted “L1” is not Σ|pᵢ − yᵢ|.", "`sampled_l1 = 2*y0*p[1] + 2*y1*p[0]` is the "
                "expected L1 distance to a one-hot target drawn from y; it equals Σ|p − y| only when "
                "y is one-hot. The lab plots the true L1.",
                f"at y = {vector(s.y, 2)} and z = {vector(s.z, 1)}, where p = softmax(z) = "
                f"{vector(s.p, 2)}, the plotted formula gives {s.plotted:.4g} while Σ|p − y| = "
                f"{s.true:.4g}.",
                abs(s.plotted - s.true) > SAME)


def rounding(results: Results) -> Item | None:
    """The lecture's two-decimal softmax and normalization values against correct rounding."""
    facts = results.softmax
    if facts is None:
        return None
    computed = {"softmax": {tuple(z): p for _, z, p, _ in facts.lecture},
                "normalize": {tuple(z): n for _, z, _, n in facts.lecture}}
    parts, wrong = [], 0
    for what, kind, z, slide in SLIDE_VALUES:
        value = computed[kind].get(z)
        if value is None:
            continue
        rounded = np.round(value, 2)
        off = int(round(float(np.max(np.abs(rounded - np.array(slide)))) * 100))
        wrong += off > 0
        parts.append(f"{what} = {vector(value)} (the slide: {vector(slide, 2)}; correctly rounded: "
                     f"{vector(rounded, 2)}" + (f", off by {off} in the last digit)" if off else
                                                 ", the same)"))
    if not parts:
        return None
    holds = facts.softmax_shift < SAME and facts.normalize_scale < SAME
    return Item("The lecture's two-decimal softmax and normalization values are not correctly "
                "rounded.", "The conclusions drawn from them (softmax is shift-invariant, "
                "normalization is scale-invariant) do not depend on the last digit.",
                "; ".join(parts) + f". Shift moves softmax by {scientific(facts.softmax_shift)} and "
                f"scaling moves normalization by {scientific(facts.normalize_scale)}, so the "
                f"conclusions {'hold' if holds else 'do not hold'} (see the softmax page).",
                wrong > 0)


def latent_channels(results: Results) -> Item | None:
    """The 4 channels of image_vectors are the VAE's latent channels, not RGB + alpha."""
    sd = results.diffusion
    if sd is None:
        return None
    image, rgb = sd.full_size["image_vectors"], sd.full_size["rgb_vectors"]
    latent = image[1]
    return Item("“image_vectors … feature size 4 (RGB+Alpha)” (exercise 1.3.2).",
                "The channels of the image_vectors tensor are the VAE's latent channels, which the UNet "
                "denoises; the VAE decodes them to colour channels at a larger size.",
                f"v1.4's configuration has `AutoencoderKL(latent_channels={sd.latent_channels})` and "
                f"`UNet2DConditionModel(in_channels={sd.unet_in_channels})`; the loop's image_vectors "
                f"at v1.4's size are {'×'.join(map(str, image))}, and the decoded rgb_vectors "
                f"{'×'.join(map(str, rgb))}: {rgb[1]} channels at {rgb[-1] // image[-1]}× the side "
                "(see the Stable Diffusion page).",
                latent == sd.latent_channels == sd.unet_in_channels and rgb[1] == 3)
