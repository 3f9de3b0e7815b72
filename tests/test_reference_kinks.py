"""Kinks: branches decided exactly, and derivatives at a kink by one-sided derivatives — per entry
for gradients and Hessians."""

import numpy as np
import pytest
import sympy as sp

from lab.core.cases import Function
from lab.core.expression import parse
from lab.core.reference import reference


def field(text: str, kind: str, at, order: int = 1, exact_points=None):
    parsed = parse(text)
    f = Function("t", parsed.expr, parsed.variables, lambda x: x, domain=parsed.domain)
    return reference(f, kind, np.array(at, dtype=np.float64), order, 30, exact_points)


@pytest.mark.parametrize(("text", "order", "at", "true"), [
    ("x*abs(x)", 1, 0.0, 0.0),
    ("x*abs(x)", 2, 0.0, None),  # 2|x|: a kink in the first derivative
    ("relu(x)**2", 1, 0.0, 0.0),
    ("relu(x)**2", 2, 0.0, None),
    ("relu(x)**3", 2, 0.0, 0.0),
    ("max(x**2, x**4)", 2, 0.0, 2.0),  # x² ≥ x⁴ near 0 on both sides
    ("max(x**2, x**4)", 1, 1.0, None),  # the branches cross at 1: slopes 2 and 4
    ("min(x, x**3)", 1, 0.0, None),  # x³ > x just left of 0, x³ < x just right: slopes 1 and 0
    ("abs(x)**3", 2, 0.0, 0.0),
    ("abs(x)", 1, 0.0, None),
    ("abs(sin(x))", 1, 0.0, None),
    ("x**2*sign(x)", 1, 0.0, 0.0),
    ("sign(x)", 1, 0.0, None),  # a jump
    ("sign(x)**2", 1, 0.0, None),  # 1 on both sides, 0 at 0: a jump all the same
    ("max(x, sin(x))", 1, 0.0, 1.0),  # x − sin x ~ x³/6: x on the right, sin on the left
    ("max(x, sin(x))", 3, 0.0, None),  # third derivatives 0 (x) and −1 (sin)
    ("max(x, sin(x))", 1, 1e-20, 1.0),  # a near tie, not a tie
    ("relu(relu(x) - x**2)", 1, 0.0, None),  # nested: x − x² on the right, 0 on the left
    ("abs(x**5)", 4, 0.0, 0.0),
    ("abs(x**5)", 5, 0.0, None),
])
def test_one_variable(text, order, at, true):
    ref = field(text, "derivative", [at], order)
    if true is None:
        assert ref.status.tolist() == ["undefined"], ref.values
        assert "kink" in ref.reasons[0]
    else:
        assert ref.status.tolist() == ["exact"], ref.reasons
        assert ref.values[0] == true


def test_a_kink_at_a_typed_constant_is_where_the_constant_is():
    exact = [(sp.Rational("0.1"),)]
    assert field("abs(x - 0.1)", "derivative", [0.1], 1, exact).status.tolist() == ["undefined"]
    # Without the typed point, the double 0.1 lies right of 1/10: the slope is 1 there.
    assert field("abs(x - 0.1)", "derivative", [0.1]).values.tolist() == [1.0]


def test_gradient_entries_each_follow_the_rule():
    ref = field("(x - y)*abs(x - y)", "gradient", [[1.0, 1.0], [0.5, 2.0]])
    assert ref.status.tolist() == ["exact", "exact"]
    assert ref.values.tolist() == [[0.0, 0.0], [3.0, -3.0]]
    ref = field("abs(x) + y", "gradient", [[0.0, 3.0]])
    assert ref.entry_status.tolist() == [["undefined", "exact"]]
    assert ref.status.tolist() == ["undefined"] and ref.values[0, 1] == 1.0
    assert "entry 0" in ref.reasons[0]


@pytest.mark.parametrize(("text", "at", "true"), [
    # ∂²/∂x∂y of relu(x)² + xy at x = 0: every entry exists.
    ("relu(x)**3 + x*y", [0.0, 1.0], [[0.0, 1.0], [1.0, 0.0]]),
    # y|y| + x: ∂²/∂y² is 2 sign(y), no value at 0; the mixed entries are 0.
    ("y*abs(y) + x", [1.0, 0.0], [[0.0, 0.0], [0.0, None]]),
    # x|y|: ∂/∂y does not exist at y = 0, so neither do the entries that need it.
    ("x*abs(y)", [1.0, 0.0], [[0.0, None], [None, None]]),
    # relu(x)² + y²: ∂²/∂x² jumps from 0 to 2; the mixed entries are 0.
    ("relu(x)**2 + y**2", [0.0, 1.0], [[None, 0.0], [0.0, 2.0]]),
])
def test_hessian_entries_each_follow_the_rule(text, at, true):
    ref = field(text, "hessian", [at])
    status = [["undefined" if t is None else "exact" for t in row] for row in true]
    assert ref.entry_status[0].tolist() == status, ref.reasons
    for got, t in zip(ref.values[0].ravel(), np.array(true, dtype=float).ravel(), strict=True):
        assert got == t or (np.isnan(got) and np.isnan(t))


def test_a_removable_singularity_of_the_derivative_is_a_limit():
    # sqrt(x⁴ + x⁶) = x²·sqrt(1 + x²): its derivative formula is 0/0 at 0, the derivative 0.
    assert field("sqrt(x**4 + x**6)", "derivative", [0.0]).values.tolist() == [0.0]
    ref = field("sqrt(x)", "derivative", [0.0])  # an infinite slope is no derivative
    assert ref.status.tolist() == ["undefined"] and "oo" in ref.reasons[0]


def test_rounding_across_a_kink_makes_the_condition_huge():
    # At the double nearest 0.1, abs(x − 0.1) (typed 1/10) is 5.55e-18 right of its kink: one
    # rounding of the input can cross it, so no float64 program can be held to the slope.
    ref = field("abs(x - 0.1)", "derivative", [0.1])
    assert ref.condition[0] >= 2**52
    assert field("abs(x - 0.1)", "derivative", [0.3]).condition[0] < 10
