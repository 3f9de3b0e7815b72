"""The studies behind the report's sentences that the cross-check rows do not cover: p0's
coefficients by the power rule, the lecture's softmax examples, loss curves and curvatures (jit
gradients), the errata's counter-examples, the logic networks. Each function runs the lab's code
once and returns a plain result object; the report's pages only read them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Polynomial:
    """The course's p0: its case, the coefficients of p0 and of p1…p4 by the power rule, and p0's
    values at the case's points."""

    case: str
    points: np.ndarray
    coefficients: list[tuple]  # a0…an of p0, p1, …, p4 (index k: the k-th derivative)
    primal: np.ndarray


@dataclass
class SoftmaxFacts:
    """The lecture's examples and the two invariances, measured on our softmax and normalization."""

    lecture: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]  # (label, z, softmax, z/Σz)
    z: np.ndarray
    shift: float  # k added to z
    factor: float  # z multiplied by it
    softmax_shift: float  # max |softmax(z + shift) − softmax(z)|
    softmax_scale: float  # max |softmax(factor·z) − softmax(z)|
    normalize_shift: float
    normalize_scale: float


@dataclass
class LossCurves:
    """Losses and ∂loss/∂z₁ along z = (0, d) for targets (1 − y₁, y₁), and curvatures at optima."""

    method: str  # the backend variant that computed the gradients
    d: np.ndarray
    values: dict[float, dict[str, np.ndarray]]
    grads: dict[float, dict[str, np.ndarray]]
    curvature_y1: float
    curvature: dict[str, float]  # ∂²loss/∂z₁² at the optimum p₁ = y₁ for that target


@dataclass
class TargetSum:
    """∂CE/∂z by autograd for a target that does not sum to 1, beside p − y and p·Σy − y."""

    method: str
    z: np.ndarray
    y: np.ndarray
    autograd: np.ndarray
    p_minus_y: np.ndarray
    p_sum_y_minus_y: np.ndarray


@dataclass
class SampledL1:
    """The course's plotted "L1" (2·y₀·p₁ + 2·y₁·p₀) and the true Σ|p − y| at one point."""

    y: np.ndarray
    z: np.ndarray
    p: np.ndarray  # softmax(z)
    plotted: float
    true: float


@dataclass
class StepStudy:
    """Finite-difference errors against the step h (lab.studies.steps): the steps and the sweeps."""

    steps: np.ndarray
    sweeps: list  # lab.studies.steps.Sweep


@dataclass
class LogicResult:
    """One boolean function: its realization and the outputs its network gave at the corners."""

    name: str
    table: tuple[int, ...]
    weights: tuple[float, float, float] | None
    lp_status: str
    hidden_neurons: int
    outputs: np.ndarray  # at CORNERS, in their order


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
