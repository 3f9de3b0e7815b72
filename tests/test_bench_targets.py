"""Target verdicts come from an interval of side-by-side ratios: met or missed only when the whole
interval clears the threshold, inconclusive otherwise (synthetic samples; no timing asserted)."""

import itertools

import numpy as np
import pytest

from lab.bench.harness import decide, paired_ratios, until_decided


def _ratios(centre: float, spread: float, n: int = 40, seed: int = 0) -> np.ndarray:
    return centre * np.exp(np.random.default_rng(seed).normal(0.0, spread, n))


@pytest.mark.parametrize("centre, verdict", [(1.5, "met"), (2.6, "missed"), (2.0, "inconclusive")])
def test_verdict_follows_where_the_interval_lies(centre, verdict):
    d = decide(_ratios(centre, 0.15), threshold=2.0)
    assert d.verdict == verdict
    assert d.low <= d.median <= d.high and d.pairs == 40
    assert (d.high <= 2.0) == (verdict == "met") and (d.low > 2.0) == (verdict == "missed")


def test_a_single_lucky_run_does_not_decide_a_noisy_comparison():
    # Median below the threshold, but the spread leaves the interval across it.
    ratios = [1.5, 1.6, 1.7, 1.8, 1.9, 2.1, 2.3, 2.6, 2.9]
    assert np.median(ratios) < 2.0
    assert decide(ratios, 2.0).verdict == "inconclusive"


def test_decision_is_reproducible():
    r = _ratios(2.0, 0.2)
    assert decide(r, 2.0) == decide(r, 2.0)


def _fake_clock(step: float):
    ticks = itertools.count()
    return lambda: next(ticks) * step


def test_straddling_samples_are_repeated_until_the_budget_is_spent():
    requested = []

    def sample(n):
        requested.append(n)
        return list(_ratios(2.0, 0.2, n, seed=len(requested)))

    d = until_decided(sample, 2.0, budget_s=10.0, min_pairs=10, clock=_fake_clock(1.0))
    assert d.verdict == "inconclusive" and len(requested) > 1 and d.pairs == sum(requested)
    assert d.low <= 2.0 <= d.high and d.seconds <= 10.0 + 1.0


def test_clear_samples_are_decided_without_repeating():
    requested = []

    def sample(n):
        requested.append(n)
        return list(_ratios(1.2, 0.05, n))

    d = until_decided(sample, 2.0, budget_s=10.0, min_pairs=10, clock=_fake_clock(0.1))
    assert d.verdict == "met" and requested == [10]


def test_paired_ratios_alternate_and_call_both_sides_once_per_pair():
    calls = []
    ratios = paired_ratios(lambda: calls.append("a"), lambda: calls.append("b"), 4)
    assert len(ratios) == 4 and all(r > 0 for r in ratios)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
