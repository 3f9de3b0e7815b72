"""The performance targets: 'numerator ≤ threshold × denominator', the two rows picked from a
sweep's result by their labels' fields, decided from side-by-side runs of the very calls the sweep
timed (`harness.compare`). A sweep measured on a busy machine (`SweepResult.noisy`) is not judged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lab.bench.harness import compare
from lab.bench.runner import SweepResult, TargetResult

Pick = Callable[[SweepResult], tuple[str, str, int] | None]


def _top(r: SweepResult) -> int | None:
    return max((t.size for t in r.timings), default=None)


def best_ad_vs_primal(r: SweepResult) -> tuple[str, str, int] | None:
    """The AD row with the smallest ratio to its own library's primal, at the largest size."""
    top = _top(r)
    ad = [t for t in r.timings if t.size == top and r.labels[t.method].differentiates and r.ratio(t)]
    best = min(ad, key=r.ratio, default=None)
    return None if best is None else (best.method, r.primal_of[best.method], top)


def tape_vs_closed(r: SweepResult) -> tuple[str, str, int] | None:
    """The tape's gradient against numpy's closed form, at the largest size both ran."""
    closed = r.rows_where(mode="closed form")
    sizes = {t.size for t in r.rows_where(engine="tape.reverse")} & {t.size for t in closed}
    if not sizes:
        return None
    top = max(sizes)
    return "tape.reverse", next(t.method for t in closed if t.size == top), top


def tape_vs_recording(r: SweepResult) -> tuple[str, str, int] | None:
    """The tape's gradient (recording and backward pass) against its recording pass alone, at the
    largest size both ran."""
    recording = r.rows_where(mode="baseline")
    sizes = {t.size for t in r.rows_where(engine="tape.reverse")} & {t.size for t in recording}
    if not sizes:
        return None
    top = max(sizes)
    return "tape.reverse", next(t.method for t in recording if t.size == top), top


def best_vs_floor(r: SweepResult, n: int = 1024) -> tuple[str, str, int] | None:
    """The fastest derivative row against the cost of writing the n×n result."""
    at = [t for t in r.timings if t.size == n and r.labels[t.method].mode != "baseline"]
    floor = [t for t in r.rows_where(mode="baseline") if t.size == n]
    best = min(at, key=lambda t: t.median_s, default=None)
    return None if best is None or not floor else (best.method, floor[0].method, n)


@dataclass(frozen=True)
class Target:
    """'numerator ≤ threshold × denominator', the two rows picked from a sweep's result."""

    sweep: str
    text: str  # formatted with size=
    threshold: float
    pick: Pick


TARGETS = tuple(
    t for name in ("ce_gradient", "se_gradient") for t in (
        Target(name, name + ": best AD derivative ÷ its library's primal ≤ 2 at batch {size}", 2.0,
               best_ad_vs_primal),
        Target(name, name + ": tape within 2× of numpy's closed form at batch {size}", 2.0,
               tape_vs_closed),
        # backward ≤ 1.5 × recording  ⇔  recording + backward ≤ 2.5 × recording
        Target(name, name + ": the tape's backward pass ≤ 1.5× its recording pass (whole gradient "
               "≤ 2.5× the recording) at batch {size}", 2.5, tape_vs_recording))
) + (Target("softmax_jacobian", "softmax Jacobian n = {size} within 2× of the write-floor", 2.0,
            best_vs_floor),)


def targets_of(sweep_name: str) -> list[Target]:
    """The targets judged on the sweep of that name."""
    return [t for t in TARGETS if t.sweep == sweep_name]


def check_targets(result: SweepResult, budget_s: float,
                  advance: Callable[[], None] = lambda: None) -> list[TargetResult]:
    """Decide each target of the sweep by timing its two calls side by side; a target whose size
    was not measured is skipped, and none is judged when the machine was busy."""
    decided = []
    for target in targets_of(result.name):
        picked = target.pick(result)
        if picked:
            decided.append(_decide(result, target, *picked, budget_s))
        advance()
    return decided


def _decide(r: SweepResult, target: Target, numerator: str, denominator: str, size: int,
            budget_s: float) -> TargetResult:
    text = target.text.format(size=size)
    if r.noisy:
        env = r.environment
        return TargetResult(r.name, text, numerator, denominator, size, None,
                            f"not judged: the load average was {env['load_before']:.2f} before and "
                            f"{env['load_after']:.2f} after the sweep: beside the benchmark's "
                            f"own process, above half of the {env['cores']} cores")
    a, b = r.calls[numerator, size], r.calls[denominator, size]
    return TargetResult(r.name, text, numerator, denominator, size,
                        compare(a, b, target.threshold, budget_s))
