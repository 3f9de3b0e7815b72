"""The certified reference: exact where a fixed precision is fooled, honest where it cannot be."""

import time

import mpmath
import numpy as np
import pytest
import sympy as sp

from lab.core import reference as reference_module
from lab.core.budget import OverBudget, budget
from lab.core.cases import Condition, Function
from lab.core.expression import parse
from lab.core.reference import reference

X = sp.Symbol("x", real=True)


def value_of(text: str, at: float, order: int = 1, seconds: float | None = 20):
    parsed = parse(text)
    f = Function("t", parsed.expr, (X,), lambda x: x, domain=parsed.domain)
    return reference(f, "derivative", np.array([at]), order, seconds)


def exact(expr: sp.Expr, at, order: int) -> float:
    """The true value from SymPy's own exact arithmetic at the exact rational point."""
    return float(sp.diff(expr, X, order).evalf(60, subs={X: sp.Rational(at)}))


@pytest.mark.parametrize(("text", "order", "at"), [
    ("sin(x)/x", 4, 1e-12),  # 24 sin(x)/x⁵ − …: cancellation of 48 digits
    ("(x**8-1)/(x-1)", 4, 1.0000000000000002),
    ("1/(x - 1.0000000000000002)", 1, 1.0),  # the typed decimal, exactly
    ("exp(x)/sqrt(sin(x)**3 + cos(x)**3)", 1, 1.5),  # Squire & Trapp's complex-step test function
    ("x**1.7866166930421596", 1, 1.1),
])
def test_certified_where_fixed_precision_is_fooled(text, order, at):
    ref = value_of(text, at, order)
    assert ref.status.tolist() == ["exact"]
    parsed = parse(text)
    assert ref.values[0] == pytest.approx(exact(parsed.expr, at, order), rel=1e-15)


def test_squire_trapp_value():
    ref = value_of("exp(x)/sqrt(sin(x)**3 + cos(x)**3)", 1.5)
    assert ref.values[0] == pytest.approx(4.05342789389862066, rel=1e-15)


@pytest.mark.parametrize(("text", "order", "at", "why"), [
    ("abs(x)", 1, 0.0, "kink"),
    ("abs(x)", 3, 0.0, "kink"),
    ("exp(log(x))", 1, -1.0, "log"),
    ("x**2/x", 1, 0.0, "division"),
    ("sqrt(x)**2", 1, -2.0, "sqrt"),
    ("log(x)", 1, -1.0, "log"),
    ("sin(asin(x))", 1, 2.0, "asin"),
])
def test_undefined_as_written(text, order, at, why):
    ref = value_of(text, at, order)
    assert ref.status.tolist() == ["undefined"] and np.isnan(ref.values[0])
    assert why in ref.reasons[0]


def test_kinks_away_from_zero_are_exact():
    assert value_of("abs(x)", 0.5, 2).values[0] == 0.0
    assert value_of("abs(x)", -0.5, 1).values[0] == -1.0


def test_overflow_is_not_undefined():
    assert value_of("exp(x)", 800.0).status.tolist() == ["overflow"]
    assert value_of("exp(exp(x))", 1e308).status.tolist() == ["overflow"]


def test_timeout_and_uncertified_are_said(monkeypatch):
    start = time.monotonic()
    ref = value_of("tan(tan(tan(tan(x))))", 0.5, 8, seconds=0.5)
    assert ref.status.tolist() == ["timeout"] and time.monotonic() - start < 5
    monkeypatch.setattr(reference_module, "PRECISIONS", (64, 96))
    assert value_of("sin(x)/x", 1e-12, 4).status.tolist() == ["uncertified"]


def test_zero_is_reported_as_zero():
    assert value_of("sin(x)**2 + cos(x)**2", 0.7).values[0] == 0.0


def test_condition_grows_near_a_pole_and_with_unrepresentable_constants():
    well = value_of("sin(x)", 0.5).condition[0]
    pole = value_of("tan(x)", 1.57079632).condition[0]
    constant = value_of("1/(x - 1.0000000000000002)", 1.0).condition[0]
    assert well < 10 and pole > 1e8 and constant > 1e14


def test_domain_conditions_of_the_exercises_default_to_none():
    f = Function("sq", X**2, (X,), lambda x: x * x, domain=(Condition("positive", X, "log"),))
    ref = reference(f, "derivative", np.array([-1.0, 2.0]), 1)
    assert ref.status.tolist() == ["undefined", "exact"] and ref.values[1] == 4.0


def test_budget_interrupts_pure_python_and_nests():
    with pytest.raises(OverBudget):
        with budget(0.2):
            while True:
                mpmath.mpf(1) + 1
    with budget(5):
        with pytest.raises(OverBudget):
            with budget(0.1):
                time.sleep(1)
    with budget(None):
        pass


def test_zeros_from_cancellation_are_not_certified_early():
    # At 30 and 60 digits the cancellation of 200 digits gives exactly 0 twice; the value is 0.2.
    assert value_of("sin(x)/x", 1e-50, 4).values[0] == pytest.approx(0.2, rel=1e-15)


# --- typed numbers, the condition, underflow ---------------------------------------------------

def test_typed_points_are_exact_and_the_double_is_what_programs_see():
    parsed = parse("log1p(x)")
    f = Function("t", parsed.expr, (X,), lambda x: x, domain=parsed.domain)
    typed = sp.Rational("-0.9999999999999999")
    ref = reference(f, "derivative", np.array([-0.9999999999999999]), 1, 20, [(typed,)])
    assert ref.status.tolist() == ["exact"] and ref.values[0] == 1e16  # 1/(1 − 0.9999999999999999)
    double = sp.Rational(-0.9999999999999999)
    at_double = float(1 / (1 + double))  # what a float64 program differentiates exactly: 2⁵³
    assert at_double == 2.0**53
    # The rounding of the typed point to its double explains that difference: κ covers it.
    assert ref.condition[0] * EPS >= abs(at_double - 1e16) / (at_double + 1e16)
    untyped = reference(f, "derivative", np.array([-0.9999999999999999]), 1, 20)
    assert untyped.values[0] == at_double


EPS = 2.0**-52


def test_typed_constants_are_rounded_in_the_condition_both_ways():
    # acosh(x + 1.0000000000000002)' at 0 is 1/sqrt(c² − 1) with c = 1 + 2e-16 exactly: 5e7.
    # A float64 program holds c as 1 + 2⁻⁵², where the derivative is 2^25.5 ≈ 4.7e7.
    ref = value_of("acosh(x + 1.0000000000000002)", 0.0)
    with mpmath.workdps(50):
        true = mpmath.mpf(1) / mpmath.sqrt(mpmath.mpf("1.0000000000000002") ** 2 - 1)
    assert ref.values[0] == float(true)
    program = 1 / np.sqrt((1 + EPS) ** 2 - 1)
    assert ref.condition[0] * EPS >= abs(program - ref.values[0]) / (program + ref.values[0])


@pytest.mark.parametrize("x", [1 - 2.0**-50, 1e-300, 12345.678])
def test_condition_covers_one_rounding_in_both_directions(x):
    ref = value_of("1/(1 - x)", x) if x < 1 else value_of("log(x)", x)
    with mpmath.workdps(80):
        exact = mpmath.mpf(ref.values[0])
        for s in (1, -1):
            moved = mpmath.mpf(x) * (1 + s * mpmath.mpf(2) ** -52)
            d = 1 / (1 - moved) ** 2 if x < 1 else 1 / moved
            assert ref.condition[0] * EPS * max(1, abs(exact)) >= abs(d - exact) * (1 - 1e-9)


@pytest.mark.parametrize(("text", "order", "at"), [
    ("exp(x)", 1, -100001.0),
    ("erf(x)", 2, 400.0),
    ("exp(-x**2)", 3, 1e10),
])
def test_underflow_is_a_value(text, order, at):
    ref = value_of(text, at, order)
    assert ref.status.tolist() == ["exact"] and ref.values[0] == 0.0


def test_fields_have_a_status_per_entry():
    parsed = parse("x*y + exp(x)")
    f = Function("t", parsed.expr, parsed.variables, lambda x: x)
    for kind, shape in (("gradient", (3, 2)), ("hessian", (3, 2, 2))):
        ref = reference(f, kind, np.array([[1.0, 2.0], [0.0, 0.0], [-1.0, 3.0]]), 1, 20)
        assert ref.values.shape == shape and ref.entry_status.shape == shape
        assert (ref.entry_status == "exact").all() and ref.status.tolist() == ["exact"] * 3
    assert reference(f, "hessian", np.array([[1.0, 2.0]]), 1, 20).values[0].tolist() == [
        [float(sp.E), 1.0], [1.0, 0.0]]


def test_constants_beyond_float64_are_taken_exactly():
    # d/dt (1 + 10³⁰⁸t)(2 + 10³⁰⁸t), expanded: 3·10³⁰⁸ + 2·10⁶¹⁶·t, 3e308 at t = 0.
    t = sp.Symbol("t", real=True)
    expr = sp.expand((1 + t * 10**308) * (2 + t * 10**308))
    ref = reference(Function("t", expr, (t,), lambda x: x), "derivative", np.array([0.0, -1e-308]))
    assert ref.status.tolist() == ["overflow", "exact"]
    assert ref.values[1] == pytest.approx(1e308, rel=1e-15)
