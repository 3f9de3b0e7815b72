"""Everything the report shows, computed once per run into plain objects; the pages only read them.

`collect()` runs the cross-check and every study; a page is a function of `Results` (and the folder
its figures go to), so a test can hand a page any results — a failing row, counts that differ
from the course's — and read what the page then says.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lab.check.crosscheck import Row
from lab.output.markdown import names

if TYPE_CHECKING:
    from lab.core.cases import Case


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


@dataclass
class Diffusion:
    """v1.4's counts, the tiny pipeline's sample, and the full-size shapes v1.4's config implies."""

    counts: list  # lab.diffusion.inspection.ComponentCount
    settings: dict  # prompt, seed, steps, guidance, dtype, device
    sample: object  # lab.diffusion.sampling.Sample
    pipeline_gap: float  # max |our image − StableDiffusionPipeline's|
    full_size: dict[str, tuple[int, ...]]
    latent_channels: int
    unet_in_channels: int
    scaling_factor: float


@dataclass
class Results:
    """What one run computed. Fields a page does not need may stay empty (tests fill only some)."""

    rows: list[Row] = field(default_factory=list)
    cases: dict[str, Case] = field(default_factory=dict)
    seed: int | None = None  # numpy default_rng seed of the exercises that draw their inputs
    seeded: tuple[str, ...] = ()  # those exercises
    polynomial: Polynomial | None = None
    softmax: SoftmaxFacts | None = None
    losses: LossCurves | None = None
    target_sum: TargetSum | None = None
    sampled_l1: SampledL1 | None = None
    steps: StepStudy | None = None
    logic: list[LogicResult] | None = None
    graph: dict[str, tuple[float, float]] | None = None
    breakage: list | None = None  # lab.studies.breakage.Study
    estimates: list | None = None  # lab.studies.estimates.EstimateRow: numdifftools' estimates
    diffusion: Diffusion | None = None
    diffusion_missing: str = ""  # why there are no diffusion results

    def rows_of(self, exercise: str | None = None, case: str | None = None,
                backend: str | None = None) -> list[Row]:
        """The rows matching every given field."""
        return [r for r in self.rows if (exercise is None or r.exercise == exercise)
                and (case is None or r.case == case) and (backend is None or r.backend == backend)]

    def inputs(self, exercises) -> str:
        """How the random inputs of these exercises were drawn, for a page header ("" if none)."""
        used = [x for x in exercises if x in self.seeded]
        if not used or self.seed is None:
            return ""
        return f"random inputs of {names(used)} drawn by numpy default_rng({self.seed})"

    def inputs_of(self, rows: list[Row]) -> str:
        """`inputs()` for the exercises these rows come from."""
        return self.inputs(dict.fromkeys(r.exercise for r in rows))


SEED = 0


def build_cases(seed: int = SEED) -> tuple[list[Case], tuple[str, ...]]:
    """Every exercise's cases, random inputs drawn with `seed`; also the exercises that took it."""
    from lab.exercises import EXERCISES

    cases, seeded = [], []
    for name, builder in EXERCISES.items():
        # Only some builders draw random inputs; those take a seed, and the report says which.
        if "seed" in inspect.signature(builder).parameters:
            cases.extend(builder(seed=seed))
            seeded.append(name)
        else:
            cases.extend(builder())
    return cases, tuple(seeded)


def studies() -> dict[str, Callable[[], object]]:
    """Results field -> the function computing it, in the order collect() runs them."""
    from lab.report import evidence
    from lab.studies.breakage import all_studies
    from lab.studies.estimates import numdifftools_estimates
    from lab.studies.graph import trace
    from lab.studies.steps import STEPS, sweeps

    return {"polynomial": evidence.polynomial, "softmax": evidence.softmax_facts,
            "losses": evidence.loss_curves, "target_sum": evidence.target_sum,
            "sampled_l1": evidence.sampled_l1, "steps": lambda: StepStudy(STEPS, sweeps()),
            "logic": evidence.logic, "graph": lambda: trace(2.0, 1.0), "breakage": all_studies,
            "estimates": numdifftools_estimates, "diffusion": evidence.diffusion}


def collect(advance: Callable[[], None] = lambda: None, cases: list[Case] | None = None,
            seeded: tuple[str, ...] = ()) -> Results:
    """Run the cross-check and every study once; `advance()` after each case and each study.
    `cases` (and the exercises among them whose inputs were drawn with SEED) default to
    build_cases()."""
    from lab.backends import METHODS
    from lab.check.crosscheck import check

    if cases is None:
        cases, seeded = build_cases(SEED)
    results = Results(cases={c.name: c for c in cases}, seed=SEED, seeded=seeded)
    results.rows = check(cases, METHODS, progress=lambda case: advance())
    for name, compute in studies().items():
        try:
            setattr(results, name, compute())
        except ImportError as e:
            if name != "diffusion":
                raise
            # The diffusion extra is optional: its page then says what to install.
            results.diffusion_missing = f"install the `diffusion` extra ({e.name or e} is missing)"
        advance()
    return results
