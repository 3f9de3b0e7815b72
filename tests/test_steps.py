"""The finite-difference step study shows the textbook behaviour, or this fails."""

import pytest

from lab.studies.steps import STEPS, sweeps


@pytest.fixture(scope="module")
def studies():
    return {s.title: s for s in sweeps()}


def test_central_difference_on_exp_is_a_v(studies):
    s = studies["exp'(x) at x = 1"]
    h, best = s.best()["central O(h²)"]
    assert 1e-7 <= h <= 1e-3 and best < 1e-9  # bottom near ε^(1/3) ≈ 6e-6
    e = s.errors["central O(h²)"]
    assert e[0] > 1e3 * best and e[-1] > 1e3 * best  # truncation on the left, rounding on the right


def test_stencil_order_shows_in_the_best_error(studies):
    best = studies["exp'(x) at x = 1"].best()
    assert best["5-point O(h⁴)"][1] < best["central O(h²)"][1] < best["forward O(h)"][1]


def test_complex_step_has_no_rounding_branch(studies):
    e = studies["exp'(x) at x = 1"].errors["complex step"]
    assert e[-1] < 1e-15 and len(e) == len(STEPS)
    assert studies["∂softmax(z)₀/∂z₁ at z = (1, 2, 0.5)"].errors["complex step"][-1] < 1e-15
