"""The studies behind the report's sentences that the cross-check rows do not cover: the lecture's
softmax examples, loss curves, the errata's counter-examples, the logic networks, Stable Diffusion.
Each function runs the lab's code once and returns a results object (lab.report.results)."""

from __future__ import annotations

import numpy as np

from lab.report.results import (
    Diffusion,
    LogicResult,
    LossCurves,
    Polynomial,
    SampledL1,
    SoftmaxFacts,
    TargetSum,
)

# The lecture's examples ("More Gradients": softmax against plain normalization).
LECTURE_LOGITS = (("[1, 2]", (1.0, 2.0)), ("[10, 20]", (10.0, 20.0)),
                  ("[11, 12] (= [1, 2] + 10)", (11.0, 12.0)),
                  ("[20, 30] (= [10, 20] + 10)", (20.0, 30.0)), ("[2, 4] (= 2·[1, 2])", (2.0, 4.0)))
LOSS_TARGETS = (0.1, 0.5, 0.9)
GRADIENT_METHOD = "jax.jit"  # the curves' gradients and curvatures: compiled once, many points


def values_of(method, kind: str, f, points: np.ndarray, order: int = 1) -> np.ndarray:
    """What `method` computes for `kind` at every point (without its error estimate)."""
    from lab.backends import compute

    values, _ = compute(method, kind, f, points, order)
    return values


def polynomial(orders: int = 4) -> Polynomial:
    """p0's coefficients and those of p1…p4 by the power rule, and p0 at the course's points."""
    from lab.exercises.polynomial import COURSE_COEFFICIENTS, course_case, power_rule

    case = course_case()
    coefficients = [tuple(COURSE_COEFFICIENTS)]
    for _ in range(orders):
        coefficients.append(tuple(power_rule(coefficients[-1])))
    return Polynomial(case.name, case.points, coefficients,
                      np.asarray(case.function.program(case.points), dtype=np.float64))


def softmax_facts(z=(1.0, 2.0, 0.5), shift: float = 100.0, factor: float = 3.0) -> SoftmaxFacts:
    """The lecture's examples through our softmax and normalization, and how far each moves when
    a constant is added to z or z is scaled."""
    from lab.exercises.softmax import normalize, softmax

    lecture = [(label, np.array(v), softmax(np.array(v)), normalize(np.array(v)))
               for label, v in LECTURE_LOGITS]
    z = np.asarray(z, dtype=np.float64)

    def moved(f, other):
        """How far f's output moves when z is replaced by `other`."""
        return float(np.max(np.abs(f(other) - f(z))))

    return SoftmaxFacts(lecture, z, shift, factor, moved(softmax, z + shift),
                        moved(softmax, factor * z), moved(normalize, z + shift),
                        moved(normalize, factor * z))


def loss_curves(d: np.ndarray | None = None, targets=LOSS_TARGETS, curvature_y1: float = 0.1
                ) -> LossCurves:
    """Loss values and ∂loss/∂z₁ along z = (0, d) for each target y₁, and the curvatures of KL and
    SE at the optimum for `curvature_y1`."""
    from lab.backends import select
    from lab.exercises.losses import LOSSES, se_two_class_forms, wrt_logits

    d = np.linspace(-10, 10, 401) if d is None else d
    method = select([GRADIENT_METHOD])[0]
    z = np.stack([np.zeros_like(d), d], axis=1)
    values, grads = {}, {}
    for y1 in targets:
        y = np.array([1 - y1, y1])
        values[y1], grads[y1] = {}, {}
        for name in ("KL", "CE", "SE", "L1"):
            f = wrt_logits(LOSSES[name], y, z[:1], "").function
            values[y1][name] = np.array([float(f.program(row)) for row in z])
            grads[y1][name] = values_of(method, "gradient", f, z)[:, 1]
        course_plot = se_two_class_forms(y)[1]
        grads[y1]["course plot (2·…)"] = np.array([course_plot.compute(row)[1] for row in z])
    # At the optimum p₁ = y₁, i.e. d = logit(y₁): the Hessian's (1, 1) entry.
    optimum = np.array([[0.0, np.log(curvature_y1 / (1 - curvature_y1))]])
    y = np.array([1 - curvature_y1, curvature_y1])
    curvature = {name: float(values_of(method, "hessian", wrt_logits(LOSSES[name], y, optimum, "")
                                       .function, optimum, 2)[0][1, 1]) for name in ("KL", "SE")}
    return LossCurves(method.label, d, values, grads, curvature_y1, curvature)


def target_sum(z=(0.3, -0.2), y=(0.5, 0.7)) -> TargetSum:
    """∂CE(y; softmax(z))/∂z by torch autograd for a target with Σy ≠ 1, beside p − y and p·Σy − y."""
    from lab.backends import select
    from lab.exercises.losses import LOSSES, wrt_logits
    from lab.exercises.softmax import softmax

    z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
    method = select(["torch.autograd"])[0]
    f = wrt_logits(LOSSES["CE"], y, z[None], "").function
    p = softmax(z)
    return TargetSum(method.label, z, y, values_of(method, "gradient", f, z[None])[0], p - y,
                     p * y.sum() - y)


def course_sampled_l1(p: np.ndarray, y: np.ndarray) -> float:
    """The course's plotted "L1": `sampled_l1 = 2 * y0 * p[1] + 2 * y1 * p[0]`."""
    return float(2 * y[0] * p[1] + 2 * y[1] * p[0])


def sampled_l1(z=(0.0, 0.0), y=(0.5, 0.5)) -> SampledL1:
    """The course's plotted "L1" and the true Σ|p − y| at logits z for target y."""
    from lab.exercises.losses import l1
    from lab.exercises.softmax import softmax

    z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
    p = softmax(z)
    return SampledL1(y, z, p, course_sampled_l1(p, y), float(l1(p, y)))


def logic() -> list[LogicResult]:
    """All 16 two-input functions: how each is realized and what its network outputs at the corners."""
    from lab.exercises.logic import CORNERS, evaluate, realize_all

    return [LogicResult(r.name, r.table, r.weights, r.lp_status,
                        0 if r.weights else len(r.network) - 1,
                        evaluate(r.network, CORNERS[:, 0], CORNERS[:, 1]))
            for r in realize_all()]


def diffusion(prompt: str = "a photograph of an astronaut riding a horse", seed: int = 0,
              steps: int = 33, guidance: float = 5.0) -> Diffusion:
    """v1.4's counts (built on the meta device), our loop and diffusers' pipeline on the embedded
    tiny model, and the tensor shapes v1.4's configuration gives at full size."""
    import torch

    from lab.diffusion.components import build_sd14
    from lab.diffusion.inspection import inspect_modules
    from lab.diffusion.pipeline import load_pipeline
    from lab.diffusion.sampling import pipeline_image, sample

    modules = build_sd14("meta")
    counts = inspect_modules(modules)
    device, dtype = torch.device("cpu"), torch.float32
    pipe, _ = load_pipeline(None, device, dtype)
    s = sample(pipe, prompt, seed=seed, steps=steps, guidance=guidance)
    theirs = pipeline_image(pipe, prompt, seed, steps, guidance, s.rgb_vectors.shape[-1])
    settings = dict(prompt=prompt, seed=seed, steps=steps, guidance=guidance,
                    dtype=str(dtype).replace("torch.", ""), device=str(device))
    vae, unet = modules["vae"].config, modules["unet"].config
    return Diffusion(counts, settings, s, float((theirs - s.image).abs().max()),
                     full_size_shapes(modules, s), vae.latent_channels, unet.in_channels,
                     float(vae.scaling_factor))


def full_size_shapes(modules: dict, s) -> dict[str, tuple[int, ...]]:
    """The loop's four tensors at v1.4's size: batch sizes from the loop that ran (`s`), every
    other dimension from the v1.4 configuration, as `lab.diffusion.sampling.sample` derives them."""
    from lab.diffusion.components import native_size

    text, unet, vae = modules["text_encoder"].config, modules["unet"].config, modules["vae"].config
    prompts, images = s.text_tokens.shape[0], s.image_vectors.shape[0]
    latent, pixels = unet.sample_size, native_size(vae, unet)
    return {"text_tokens": (prompts, text.max_position_embeddings),
            "text_vectors": (prompts, text.max_position_embeddings, text.hidden_size),
            "image_vectors": (images, unet.in_channels, latent, latent),
            "rgb_vectors": (images, vae.out_channels, pixels, pixels)}
