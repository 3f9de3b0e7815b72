"""gradbench's lse and llsq as exercises: the programs compute gradbench's definitions, the closed
forms and the backends agree with the exact reference, and the SymPy form is built only on demand."""

import math

import numpy as np
import pytest

from lab.backends import compute, select
from lab.check.crosscheck import check
from lab.core.compare import rho
from lab.core.reference import reference
from lab.exercises import EXERCISES
from lab.exercises import gradbench as gb


def gradbench_llsq(x, n):
    """llsq exactly as gradbench's llsq.hpp loops: t = −1 + i·2/(n − 1), powers by repeated
    multiplication."""
    total = 0.0
    for i in range(n):
        t = -1 + i * 2 / (n - 1)
        inner, mul = float((0 < t) - (t < 0)), 1.0
        for xj in x:
            inner -= xj * mul
            mul *= t
        total += inner * inner
    return total / 2


def test_lse_is_log_sum_exp(rng):
    x = rng.random(50)
    assert gb.lse(x) == pytest.approx(math.log(sum(math.exp(v) for v in x)), rel=1e-15)
    assert np.isfinite(gb.lse(np.array([1000.0, 999.0])))  # no overflow: the max is shifted out


@pytest.mark.parametrize("n", [2, 3, 16, 17])
def test_llsq_program_is_gradbenchs_formula(n, rng):
    x = rng.random(7)
    assert gb.llsq_function(n, 7).program(x) == pytest.approx(gradbench_llsq(x, n), rel=1e-13)
    assert gb.sample_points(n)[0] == -1.0 and gb.sample_points(n)[-1] == 1.0


def test_closed_forms_match_the_exact_reference(rng):
    x = rng.uniform(-3.0, 3.0, (2, 6))
    ref = reference(gb.lse_function(6), "gradient", x)
    assert np.max(rho(ref.values, np.stack([gb.lse_gradient(p) for p in x]))) < 1e-15
    x = rng.random((2, 5))
    ref = reference(gb.llsq_function(9, 5), "gradient", x)
    assert np.max(rho(ref.values, np.stack([gb.llsq_gradient(p, 9) for p in x]))) < 1e-14
    ref = reference(gb.llsq_function(9, 5), "hessian", x[:1])
    assert np.max(rho(ref.values[0], gb.llsq_hessian(x[0], 9))) < 1e-14


def test_the_value_is_the_derivative_of_order_zero(rng):
    x = rng.random((1, 4))
    ref = reference(gb.llsq_function(5, 4), "derivative", x, order=0)
    assert ref.values[0] == pytest.approx(gradbench_llsq(x[0], 5), rel=1e-14)


def test_ad_needs_no_symbols_at_gradbench_sizes(rng):
    # gradbench's lse goes to 1.28 million inputs: AD differentiates the program, and the SymPy
    # form (a million symbols) is never built.
    n = 200_000
    f = gb.lse_function(n)
    x = rng.random(n)
    got, _ = compute(select(["tape"])[0], "gradient", f, x[None], 1)
    assert np.max(rho(gb.lse_gradient(x), got[0])) < 1e-15
    assert "_form" not in vars(f) and repr(f) == f"Deferred('lse n={n}')"
    assert len(gb.lse_function(3).variables) == 3  # built when asked for


def test_the_exercise_is_registered_and_its_case_names_are_unique():
    assert EXERCISES["gradbench"] is gb.cases
    names = [c.name for c in gb.cases()]
    assert len(names) == len(set(names))


def test_the_lab_cross_check_agrees_on_the_exercise():
    rows = check(gb.cases(), select(["tape", "taylor", "jax", "sympy", "finite.central"]))
    assert rows and all(r.ok for r in rows), [(r.case, r.backend, r.verdict, r.detail)
                                              for r in rows if not r.ok]
    exact = [r for r in rows if r.backend in ("tape", "jax", "sympy", "closed_form")]
    assert {r.verdict for r in exact} == {"agree"}


@pytest.mark.parametrize("n", [3, 40])
def test_the_symbolic_gradient_of_lse_is_softmax_in_closed_form(n):
    import sympy as sp

    f = gb.lse_function(n)
    x = f.variables
    derivative = sp.diff(f.expr, x[0])
    # exp(x₀ − lse(x)): softmax's first component, one exp of one difference, however large n is.
    assert derivative == sp.exp(x[0] - f.expr)
    assert sp.count_ops(derivative) <= 3
    point = {v: sp.Rational(k, 3) for k, v in enumerate(x)}
    expected = sp.exp(point[x[0]]) / sum(sp.exp(v) for v in point.values())
    assert abs(sp.N(derivative.subs(point).rewrite(sp.exp) - expected, 30)) < 1e-25
