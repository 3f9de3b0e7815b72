"""The SymPy backend is SymPy as its users use it — its own sp.diff and lambdify, sharing nothing
with the reference — and it returns values (inf included), never an error, for huge constants."""

import numpy as np
import pytest
import sympy as sp

from lab.backends import symbolic
from lab.core import reference as reference_module
from lab.core.cases import Function
from lab.core.expression import parse

T = sp.Symbol("t", real=True)


def function(text: str) -> Function:
    parsed = parse(text)
    return Function(text, parsed.expr, parsed.variables, lambda x: x, domain=parsed.domain)


def test_it_differentiates_by_itself(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the SymPy backend used the reference's derivative")

    monkeypatch.setattr(reference_module, "differentiate", forbidden)
    symbolic.compiled.cache_clear()
    method = symbolic.SymPyLambdify()
    got = method.derivative(function("abs(log(x))"), np.array([0.5, 2.0]), 2)
    assert np.allclose(got, [4.0, -0.25])  # −sign(log x)/x²
    assert method.gradient(function("x*y**2"), np.array([3.0, 2.0])).tolist() == [4.0, 12.0]


def test_its_derivative_is_sympys_of_the_expression_as_a_whole():
    x = sp.Symbol("x", real=True)
    derivative = symbolic.derivative_of(sp.Max(x, sp.sin(x)), (x,), "derivative", 1)
    assert derivative.has(sp.Heaviside)  # SymPy's, not the branch the reference follows


@pytest.mark.parametrize("huge", [10**308, 10**400])
def test_constants_beyond_float64_give_values_not_errors(huge):
    """A value the reference calls overflow; the row judges it by its values, not as an error."""
    # f(x, y) = x·y along v = (huge, huge) from (1, 2): g(t) = (1 + t·v)(2 + t·v).
    expr = (1 + T * huge) * (2 + T * huge)
    f = Function("along", sp.expand(expr), (T,), lambda t: t)
    symbolic.compiled.cache_clear()
    got = symbolic.SymPyLambdify().derivative(f, np.array([0.0]), 1)
    assert got.shape == (1,) and not np.isfinite(got[0])  # 3e308 + 2e616·t at t = 0: inf or nan
