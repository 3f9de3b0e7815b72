"""Second-order complex step (Lai & Crassidis): second derivatives and Hessians against exact
values, an error estimate that covers the real error, and verdicts that can fail."""

import numpy as np
import pytest
import sympy as sp

from lab.backends import select
from lab.backends.base import Estimated
from lab.backends.finite import ComplexStep
from lab.backends.generated import function_of, vector_function_of
from lab.check.crosscheck import check_case
from lab.core.cases import Case, Function
from lab.core.compare import rho
from lab.core.expression import parse
from lab.core.reference import reference
from lab.errors import Unsupported
from lab.output.markdown import scientific
from lab.report.finite_differences_page import _complex_second

METHOD = ComplexStep()
X, Y = sp.symbols("x y", real=True)


def _function(text: str) -> Function:
    parsed = parse(text)
    return function_of(parsed.expr, parsed.variables[0], text, parsed.domain)


@pytest.mark.parametrize("text, exact", [
    ("exp(x)*sin(x)", lambda x: 2 * np.exp(x) * np.cos(x)),
    ("1/(1 + x**2)", lambda x: (6 * x**2 - 2) / (1 + x**2) ** 3),
    ("log(x)", lambda x: -1 / x**2),
    ("3*x**4 - 2*x**3 + x - 5", lambda x: 36 * x**2 - 12 * x),
])
def test_second_derivative_matches_the_exact_value(text, exact):
    x = np.array([0.5, 1.0, 2.0, 10.0, 300.0])
    got = METHOD.derivative(_function(text), x, 2)
    assert isinstance(got, Estimated)
    scale = np.maximum(1.0, np.abs(exact(x)))
    assert np.all(np.abs(got.values - exact(x)) / scale < 1e-10), got.values - exact(x)


def test_hessian_matches_the_exact_matrix():
    expr = sp.exp(X) * sp.sin(Y) + X**2 * Y**3
    f = vector_function_of(expr, (X, Y), "h")
    point = np.array([0.7, -1.3])
    exact = np.array(sp.hessian(expr, (X, Y)).subs({X: point[0], Y: point[1]}).evalf(30),
                     dtype=np.float64)
    got = METHOD.hessian(f, point)
    np.testing.assert_allclose(got.values, exact, rtol=1e-11, atol=1e-11)
    assert np.allclose(got.values, got.values.T)


@pytest.mark.parametrize("text", ["exp(x)*sin(x)", "exp(x)/sqrt(sin(x)**3 + cos(x)**3)",
                                  "tanh(3*x)", "sin(20*x)", "x**7/5040", "log(x)"])
def test_the_expected_error_covers_the_error_itself(text):
    # Without the verdicts' safety factor of 100: the model alone bounds the error.
    f = _function(text)
    x = np.array([0.2, 0.9, 1.5, 7.0])
    got = METHOD.derivative(f, x, 2)
    ref = reference(f, "derivative", x, 2)
    assert np.all(rho(ref.values, got.values) <= METHOD.expected_error(2, ref, got.error))


def test_agrees_in_the_cross_check_and_the_verdict_can_fail():
    good = _function("exp(x)*sin(x)")
    case = Case("t", good, "derivative", np.array([0.5, 1.0, 2.0]), (2,))
    [row] = list(check_case(case, [METHOD]))
    assert row.verdict == "agree", row.detail
    # The same expression with a program that differs by 1e-6·x²: f'' is off by 2e-6.
    wrong = Function("wrong", good.expr, good.variables,
                     lambda x: good.program(x) + 1e-6 * x**2)
    [row] = list(check_case(Case("t", wrong, "derivative", case.points, (2,)), [METHOD]))
    assert row.verdict == "disagree", row.detail


def test_near_a_singularity_it_says_inaccurate_not_agree():
    # log at 1e-3: the complex points lie 1.4 steps from x, the series barely converges.
    case = Case("t", _function("log(x)"), "derivative", np.array([1e-3]), (2,))
    [row] = list(check_case(case, [METHOD]))
    assert row.verdict == "inaccurate", row.detail


def test_hessian_row_in_the_cross_check():
    expr = sp.log(1 + sp.exp(X - Y)) * sp.cos(X * Y)
    f = vector_function_of(expr, (X, Y), "h")
    case = Case("t", f, "hessian", np.array([[0.3, 0.4], [-1.0, 2.0]]))
    [row] = list(check_case(case, [METHOD]))
    assert row.verdict == "agree", row.detail


def test_real_only_programs_and_higher_orders_are_refused():
    f = _function("abs(x)*exp(x)")
    with pytest.raises(Unsupported, match="complex-analytic"):
        METHOD.derivative(f, np.array([0.5]), 2)
    g = vector_function_of(sp.Abs(X) * Y, (X, Y), "g")
    with pytest.raises(Unsupported, match="complex-analytic"):
        METHOD.hessian(g, np.array([0.5, 1.0]))
    with pytest.raises(Unsupported, match="order 3"):
        METHOD.derivative(_function("exp(x)"), np.array([0.5]), 3)


@pytest.mark.parametrize("x", [0.0, 1e-300, -3.7, 1.9999999999999998, 1e5, -1e12])
def test_both_real_offsets_are_exact(x):
    r = float(METHOD._step(np.float64(x), 1.0))
    assert r > 0 and (x + r) - x == r and x - (x - r) == r


def test_the_report_sentence_is_computed_from_the_rows():
    case = Case("t", _function("exp(x)*sin(x)"), "derivative", np.array([0.5, 1.0]), (2,))
    rows = list(check_case(case, [METHOD, *select(["finite.central"])]))
    mine, central = rows
    text = _complex_second(rows)
    assert f"1 row(s) {mine.verdict}" in text
    assert scientific(mine.max_error) in text and scientific(central.max_error) in text
    assert _complex_second([central]) == ""
