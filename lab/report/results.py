"""What the report shows, as plain objects: `Results` holds one run's cross-check rows and the
result of every study (their types are defined beside the studies that compute them and are
re-exported here). `lab.report.collect` computes them; a page is a function of `Results` (and the
folder its figures go to), so a test can hand a page any results — a failing row, counts that
differ from the course's — and read what the page then says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lab.check.crosscheck import Row
from lab.output.markdown import names
from lab.studies.lecture import (
    LogicResult,
    LossCurves,
    Polynomial,
    SampledL1,
    SoftmaxFacts,
    StepStudy,
    TargetSum,
)

if TYPE_CHECKING:
    from lab.core.cases import Case
    from lab.diffusion.study import Diffusion


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


__all__ = ["Diffusion", "LogicResult", "LossCurves", "Polynomial", "Results", "SampledL1",
           "SoftmaxFacts", "StepStudy", "TargetSum"]


def __getattr__(name: str):
    # Diffusion's type lives with the study that needs torch: imported only when asked for.
    if name == "Diffusion":
        from lab.diffusion.study import Diffusion

        return Diffusion
    raise AttributeError(name)
