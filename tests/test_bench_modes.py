"""The forward-against-reverse sweep: the problem keeps n·m fixed and its closed form is the
Jacobian, and the page's notes and figure come from the timings they are given, rows chosen by
their labels (nothing here is timed)."""

import numpy as np
import pytest

from lab.backends.tape import Tape
from lab.bench import families, modes
from lab.bench.harness import Timing
from lab.bench.labels import method_label
from lab.bench.runner import SweepResult
from lab.report import bench_modes

TOTAL = 12
FORWARD, REVERSE = "taylor.forward", "tape.reverse"
LABEL = f"m (outputs; n = {TOTAL}/m inputs)"


@pytest.mark.parametrize("m", [1, 3, 12])
def test_the_closed_form_is_the_jacobian_the_tape_computes(m):
    problem = modes.problem_at(m, TOTAL)
    got = Tape().prepare(problem.kind, problem.function, problem.points)()
    expected = problem.closed_forms[0].compute(problem.points[0])
    assert expected.shape == (m, TOTAL // m)
    np.testing.assert_allclose(got[0], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("plan", [families.QUICK["modes"], families.FULL["modes"]])
def test_the_family_keeps_n_times_m_fixed_from_wide_to_tall(plan):
    [(sweep, sizes)] = modes.family(plan)
    assert sweep.name == "modes" and sweep.family == "modes"
    assert sizes[0] == 1 and sizes[-1] == plan["total"]
    for m in sizes:
        assert modes.problem_at(m, plan["total"]).points.shape == (1, plan["total"] // m)
    assert "sympy.lambdify" in sweep.skip and "finite.central" not in sweep.skip


def test_a_shape_that_does_not_divide_is_refused():
    with pytest.raises(ValueError, match="divide"):
        modes.family(dict(total=12, outputs=[1, 5]))


def _result(forward: dict[int, float], reverse: dict[int, float], total: int = 1024) -> SweepResult:
    r = SweepResult("modes", "t", f"m (outputs; n = {total}/m inputs)", "modes")
    for method, times in ((FORWARD, forward), (REVERSE, reverse)):
        r.labels[method] = method_label(method)
        for m, t in times.items():
            r.timings.append(Timing(method, m, t, 0.0, t, t, 0.0, 5))
    return r


SIZES = [1, 4, 32, 256, 1024]


def test_textbook_timings_give_slope_one_and_the_crossover_at_n_equals_m():
    sizes = [1, 4, 16, 64, 256, 1024]
    r = _result({m: 1e-4 * 1024 / m for m in sizes}, {m: 1e-4 * m for m in sizes})
    text = " ".join(bench_modes.notes(r))
    assert f"`{FORWARD}` 1.00" in text and f"`{REVERSE}` 1.00" in text
    assert "Cost ∝ sweeps" in text and "Deviating" not in text
    assert "reverse mode is faster up to m = 16, forward mode from m = 64 on" in text
    assert "crossing near m ≈ 32 (n ≈ 32), as the textbook counts" in text


def test_flat_timings_are_called_deviating_with_their_fixed_cost():
    r = _result({m: 1e-3 + 1e-7 * 1024 / m for m in SIZES}, {m: 2e-3 + 1e-7 * m for m in SIZES})
    text = " ".join(bench_modes.notes(r))
    assert f"`{FORWARD}` 0.0" in text and "Deviating from the textbook" in text
    assert "1 ms per call + 0.1 µs per sweep; the fixed cost is the larger part below 1e+04 " \
           "sweeps, at 5 of the 5 shapes" in text
    assert "forward mode is faster at every shape" in text


def test_the_notes_change_with_the_timings():
    textbook = _result({m: 1e-4 * 1024 / m for m in SIZES}, {m: 1e-4 * m for m in SIZES})
    swapped = _result({m: 1e-4 * m for m in SIZES}, {m: 1e-4 * 1024 / m for m in SIZES})
    assert bench_modes.notes(textbook) != bench_modes.notes(swapped)
    assert "the opposite of the textbook" in " ".join(bench_modes.notes(swapped))
    assert "as the textbook counts" in " ".join(bench_modes.notes(textbook))


def test_the_figure_is_drawn_with_the_models_labelled(tmp_path):
    r = _result({m: 1e-4 * 1024 / m for m in SIZES}, {m: 1e-4 * m for m in SIZES})
    name = bench_modes.draw(r, tmp_path)
    assert name == "modes-modes.png" and (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
