"""The forward-against-reverse sweep: every job computes what its row says (against the closed
forms, at tiny shapes; nothing here is timed), the shapes keep n·m fixed, and the page's notes
and figure come from the timings they are given."""

import numpy as np
import pytest
import torch

from lab.bench import modes, modes_page, summary
from lab.bench.harness import Timing
from lab.bench.sweeps import SweepResult

TOTAL = 12
FORWARD, REVERSE = "Taylor forward mode (lab), column by column", "tape reverse mode (lab), row by row"


def _array(value) -> np.ndarray:
    return value.detach().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@pytest.mark.parametrize("m", [1, 3, 12])
def test_every_job_computes_its_closed_form(m):
    expected = modes.closed_forms(modes.problem(m, TOTAL))
    seen = set()
    for method, _, fn, args in modes.jobs_of(TOTAL)(m):
        role = modes_page.ROLES[method]  # every timed method has a role
        got = _array(fn(*args))
        want = expected[role.kind]
        assert got.shape == want.shape, method
        tolerance = 1e-7 if "FD" in method else 1e-12  # finite differences: step-limited
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance, err_msg=method)
        seen.add(method)
    tf, _ = modes.tensorflow()
    missing = set(modes_page.ROLES) - seen
    assert missing == (set() if tf else {r for r in modes_page.ROLES if r.startswith("TensorFlow")})


def test_the_jacobian_is_m_by_n_at_both_ends():
    wide, tall = modes.problem(1, TOTAL), modes.problem(TOTAL, TOTAL)
    assert modes.closed_forms(wide)["jacobian"].shape == (1, TOTAL)
    assert modes.closed_forms(tall)["jacobian"].shape == (TOTAL, 1)


@pytest.mark.parametrize("plan", [summary.QUICK["modes"], summary.FULL["modes"]])
def test_the_family_keeps_n_times_m_fixed_from_wide_to_tall(plan):
    [(sweep, sizes)] = modes.family("modes", plan)
    assert sweep.name == "modes" and sweep.family == "modes"
    assert sizes[0] == 1 and sizes[-1] == plan["total"]  # m = 1 (wide) … n = 1 (tall)
    for m in sizes:
        p = modes.problem(m, plan["total"])
        assert p.W.shape == (m, plan["total"] // m) and p.W.size == plan["total"]


def test_a_shape_that_does_not_divide_is_refused():
    with pytest.raises(ValueError, match="divide"):
        modes.family("modes", dict(total=12, outputs=[1, 5]))


def _result(forward: dict[int, float], reverse: dict[int, float]) -> SweepResult:
    r = SweepResult("modes", "t", "m")
    for method, times in ((FORWARD, forward), (REVERSE, reverse)):
        for m, t in times.items():
            r.timings.append(Timing(method, m, t, 0.0, t, t, 0.0, 5))
    return r


SIZES = [1, 4, 32, 256, 1024]


def test_textbook_timings_give_slope_one_and_the_crossover_at_n_equals_m():
    sizes = [1, 4, 16, 64, 256, 1024]
    r = _result({m: 1e-4 * 1024 / m for m in sizes}, {m: 1e-4 * m for m in sizes})
    text = " ".join(modes_page.notes(r, 1024))
    assert f"`{FORWARD}` 1.00" in text and f"`{REVERSE}` 1.00" in text
    assert "Cost ∝ sweeps" in text and "Deviating" not in text
    assert "reverse mode is faster up to m = 16, forward mode from m = 64 on" in text
    assert "crossing near m ≈ 32 (n ≈ 32), as the textbook counts" in text


def test_flat_timings_are_called_deviating_with_their_fixed_cost():
    r = _result({m: 1e-3 + 1e-7 * 1024 / m for m in SIZES}, {m: 2e-3 + 1e-7 * m for m in SIZES})
    text = " ".join(modes_page.notes(r, 1024))
    assert f"`{FORWARD}` 0.0" in text and "Deviating from the textbook" in text
    assert "Cost ∝ sweeps" not in text
    # The forward method: 1 ms per call and 0.1 µs per sweep, so the fixed cost wins below 10⁴.
    assert "1 ms per call + 0.1 µs per sweep; the fixed cost is the larger part below 1e+04 " \
           "sweeps, at 5 of the 5 shapes" in text
    assert "forward mode is faster at every shape" in text


def test_the_notes_change_with_the_timings():
    textbook = _result({m: 1e-4 * 1024 / m for m in SIZES}, {m: 1e-4 * m for m in SIZES})
    swapped = _result({m: 1e-4 * m for m in SIZES}, {m: 1e-4 * 1024 / m for m in SIZES})
    assert modes_page.notes(textbook, 1024) != modes_page.notes(swapped, 1024)
    assert "the opposite of the textbook" in " ".join(modes_page.notes(swapped, 1024))
    assert "as the textbook counts" in " ".join(modes_page.notes(textbook, 1024))
    assert "forward ÷ reverse is 0.000977 at 1 × 1024" in " ".join(modes_page.notes(swapped, 1024))


def test_products_and_hvp_notes_are_computed():
    r = SweepResult("modes", "t", "m")
    times = {"tape VJP (lab)": 1e-4, "tape HVP, reverse-over-reverse (lab)": 5e-4,
             "torch.func HVP, forward-over-reverse": 2e-4, "torch.func HVP, reverse-over-reverse": 4e-4}
    for method, t in times.items():
        for k, m in enumerate(SIZES):
            r.timings.append(Timing(method, m, t, 0.0, t, t * (1 + k / 10), 0.0, 5))
    text = modes_page.product_note(r)
    assert "changes by at most 1.4×" in text
    assert "`lab`: an HVP (reverse-over-reverse) takes 5× a VJP" in text
    assert "`torch.func`: an HVP forward-over-reverse takes 0.5× the time of reverse-over-reverse" in text


def test_the_sweep_attaches_its_notes_and_draws_its_figure(tmp_path):
    [(sweep, _)] = modes.family("modes", dict(total=1024, outputs=SIZES))
    r = _result({m: 1e-4 * 1024 / m for m in SIZES}, {m: 1e-4 * m for m in SIZES})
    sweep.finish(r)
    assert r.notes == modes_page.notes(r, 1024)
    name = sweep.figure(r, tmp_path)
    assert name == "modes.png" and (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_the_thread_note_compares_default_and_one_thread():
    r = SweepResult("modes", "t", "m")
    for k, m in enumerate(SIZES):
        for method, t in (("torch.func jacrev (vmap)", 1e-3 * (k + 1)),
                          ("torch.func jacrev (vmap), 1 thread", 1e-3)):
            r.timings.append(Timing(method, m, t, 0.0, t, t, 0.0, 5))
    text = modes_page.threads_note(r)
    assert "`torch.func jacrev (vmap)` takes 5× its one-thread time at m = 1024" in text
    assert "(median over the shapes 3×)" in text
    assert modes_page.threads_note(_result({1: 1.0}, {1: 1.0})) == ""
