"""SymEngine, CasADi and numdifftools against the exact reference: every exercise, the reasons they
give where they cannot, numdifftools' error estimate against the truth, and verdicts that fail."""

import numpy as np
import pytest
import sympy as sp

from lab.backends import casadi_sx, numdifftools_fd, symengine_sym
from lab.backends.translate import shift_function, without_logsumexp
from lab.check.crosscheck import check_case
from lab.core.cases import Case, Function
from lab.core.compare import rho
from lab.core.reference import reference
from lab.core.symbolic import LogSumExp
from lab.errors import Unsupported
from lab.exercises import all_cases
from lab.exercises.polynomial import X, course_case, course_polynomial
from lab.report.finite_differences_page import _estimates
from lab.studies.estimates import EstimateRow

METHODS = [*symengine_sym.METHODS, *casadi_sx.METHODS, *numdifftools_fd.METHODS]
CASES = all_cases()


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.label)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_exercise_agrees_with_the_exact_value(method, case):
    rows = list(check_case(case, [method], closed_forms=False))
    for row in rows:
        if method.backend == "symengine" and case.function.expr.has(sp.Abs):
            # SymEngine has no derivative rule for abs(): it must say so, not guess.
            assert row.verdict == "unsupported" and "Abs()" in row.detail, row
        else:
            assert row.verdict == "agree", (row.verdict, row.max_error, row.detail)


def _scalar(name, expr, program):
    return Function(name, expr, (X,), program)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.label)
def test_many_points_in_one_call_have_the_right_shape(method):
    x = np.linspace(-2.0, 3.0, 1000)
    f = _scalar("p0", sp.expand(course_polynomial(X)), course_polynomial)
    got = method.derivative(f, x, 3)
    values = got.values if isinstance(got, numdifftools_fd.Estimated) else got
    assert values.shape == x.shape
    exact = reference(f, "derivative", x, 3).values
    assert np.max(rho(exact, values)) < 1e-9


def test_public_compiled_functions_evaluate_at_many_points():
    case = next(c for c in CASES if c.name == "softmax n=8")
    f, points = case.function, case.points
    expected = reference(f, "jacobian", points).values
    for g in (symengine_sym.compiled(f.expr, f.variables, "jacobian", 1),
              casadi_sx.compiled(f.expr, f.variables, "jacobian", 1)):
        assert np.max(rho(expected, g(points))) < 1e-14
    estimated = numdifftools_fd.compiled("jacobian")(f.program, points)
    assert estimated.values.shape == estimated.error.shape == expected.shape


def test_logsumexp_becomes_a_shift_that_changes_nothing():
    z = sp.symbols("z0:3", real=True)
    expr = sp.exp(z[0] - LogSumExp(*z)) + LogSumExp(*z)
    plain, shifts = without_logsumexp(expr)
    assert len(shifts) == 1 and not plain.has(LogSumExp)
    point = {zi: v for zi, v in zip(z, (0.3, -1.2, 2.0), strict=True)}
    exact = float(expr.rewrite(sp.exp).subs(point))
    for c in (0.0, 2.0, 50.0):  # any shift gives the same function
        assert float(plain.subs({**point, shifts[0].symbol: c})) == pytest.approx(exact, rel=1e-12)
    values = shift_function(shifts, z)(np.array([[0.3, -1.2, 2.0], [900.0, 1000.0, -5.0]]))
    assert values[:, 0].tolist() == [2.0, 1000.0]


@pytest.mark.parametrize("method", [*symengine_sym.METHODS, *casadi_sx.METHODS],
                         ids=lambda m: m.label)
def test_a_function_the_library_lacks_is_unsupported_by_name(method):
    g = sp.Function("g")
    f = _scalar("g(x)", g(X) + X, lambda x: x)
    with pytest.raises(Unsupported, match=r"g\(\)"):
        method.derivative(f, np.array([1.0]), 1)


def test_casadi_has_no_gamma():
    f = _scalar("gamma", sp.gamma(X), lambda x: x)
    with pytest.raises(Unsupported, match="CasADi has no counterpart of SymPy's gamma"):
        casadi_sx.METHODS[0].derivative(f, np.array([1.5]), 1)


def test_codegen_without_a_compiler_is_unsupported(monkeypatch):
    monkeypatch.setattr(casadi_sx, "COMPILER", "no-such-c-compiler")
    f = _scalar("sin", sp.sin(X), np.sin)
    with pytest.raises(Unsupported, match="needs a C compiler"):
        casadi_sx.METHODS[1].derivative(f, np.array([1.0]), 1)


SMOOTH = [("exp", sp.exp(X), np.exp), ("sin", sp.sin(X), np.sin), ("log", sp.log(X), np.log),
          ("atan", sp.atan(X), np.arctan),
          ("sigmoid", 1 / (1 + sp.exp(-X)), lambda x: 1 / (1 + np.exp(-x))),
          ("p0", sp.expand(course_polynomial(X)), course_polynomial)]


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize(("name", "expr", "program"), SMOOTH, ids=[s[0] for s in SMOOTH])
def test_numdifftools_error_estimate_bounds_the_true_error(name, expr, program, order):
    """On smooth functions the error the lab expects of numdifftools — its own estimate, floored
    at the rounding of the function values — bounds the true error to within a factor of 2 (far
    inside the policy's SAFETY of 100). The estimate is the spread of its last extrapolations,
    not a rigorous bound: for atan′ at 1.9 it is 1.2 times too small."""
    f, x = _scalar(name, expr, program), np.array([0.3, 0.7, 1.0, 1.9, 2.6])
    method = numdifftools_fd.METHODS[0]
    got = method.derivative(f, x, order)
    ref = reference(f, "derivative", x, order)
    assert np.all(rho(ref.values, got.values) <= 2 * method.expected_error(order, ref, got.error))


def test_numdifftools_at_order_10_is_inaccurate_not_agree():
    case = course_case(np.array([-1.0, 0.5, 2.5]))
    case = Case(case.exercise, case.function, "derivative", case.points, (10,))
    (row,) = check_case(case, numdifftools_fd.METHODS, closed_forms=False)
    assert row.verdict == "inaccurate", row


def test_a_wrong_translation_disagrees(monkeypatch):
    """The cross-check catches a backend that differentiates the wrong function."""
    monkeypatch.setitem(symengine_sym.TABLE, sp.sin, symengine_sym.se.cos)
    symengine_sym.compiled.cache_clear()
    try:
        f = _scalar("sin", sp.sin(X), np.sin)
        case = Case("test", f, "derivative", np.array([0.4, 1.1]), (1,))
        (row,) = check_case(case, symengine_sym.METHODS, closed_forms=False)
        assert row.verdict == "disagree", row
    finally:
        symengine_sym.compiled.cache_clear()


def _row(error, estimate, exact=1.0, order=1):
    return EstimateRow("f", 1.0, order, exact + error, estimate, exact, error)


def test_the_estimate_section_says_when_the_estimate_misses():
    held = _estimates([_row(1e-14, 1e-13), _row(1e-12, 1e-13, order=2)])
    assert "bounded the true error in 1 of 2 cases; it did not for f order 2" in held
    assert "**no**" in held
    honest = _estimates([_row(1e-14, 1e-13), _row(1e-6, 1e-2, order=2)])
    assert "in 2 of 2 cases." in honest and "`inaccurate`" in honest
    assert _estimates(None) == ""
