"""`lab report`'s computing step: every exercise's cases, the cross-check over them and every
study, run once into a `Results` that the pages then only read."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING

from lab.report.results import Results, StepStudy

if TYPE_CHECKING:
    from lab.core.cases import Case

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
    from lab.diffusion.study import diffusion
    from lab.studies import lecture
    from lab.studies.breakage import all_studies
    from lab.studies.estimates import numdifftools_estimates
    from lab.studies.graph import trace
    from lab.studies.steps import STEPS, sweeps

    return {"polynomial": lecture.polynomial, "softmax": lecture.softmax_facts,
            "losses": lecture.loss_curves, "target_sum": lecture.target_sum,
            "sampled_l1": lecture.sampled_l1, "steps": lambda: StepStudy(STEPS, sweeps()),
            "logic": lecture.logic, "graph": lambda: trace(2.0, 1.0), "breakage": all_studies,
            "estimates": numdifftools_estimates, "diffusion": diffusion}


def collect(advance: Callable[[], None] = lambda: None, cases: list[Case] | None = None,
            seeded: tuple[str, ...] = (), say: Callable[[str], None] = lambda stage: None) -> Results:
    """Run the cross-check and every study once; `advance()` after each case and each study, and
    `say(stage)` as each stage starts. `cases` (and the exercises among them whose inputs were
    drawn with SEED) default to build_cases()."""
    from lab.backends import METHODS
    from lab.check.crosscheck import check

    if cases is None:
        cases, seeded = build_cases(SEED)
    results = Results(cases={c.name: c for c in cases}, seed=SEED, seeded=seeded)
    say(f"cross-check: {len(cases)} cases × {len(METHODS)} methods")
    results.rows = check(cases, METHODS, progress=lambda case: advance())
    for name, compute in studies().items():
        say(f"study: {name}")
        try:
            setattr(results, name, compute())
        except ImportError as e:
            if name != "diffusion":
                raise
            # The diffusion extra is optional: its page then says what to install.
            results.diffusion_missing = f"install the `diffusion` extra ({e.name or e} is missing)"
        advance()
    return results
