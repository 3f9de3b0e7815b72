"""The lab's forward mode: Taylor arithmetic against known series, every order at once, and the
two directions — forward Jacobian columns and the tape's reverse rows — meeting in one matrix."""

import math

import numpy as np
import pytest
import sympy as sp
from array_api_compat import array_namespace

from lab.backends import select
from lab.backends.generated import function_of
from lab.backends.tape import Tape
from lab.backends.taylor import directional
from lab.check.crosscheck import check_case
from lab.core.cases import Case, Function
from lab.core.expression import parse
from lab.exercises.softmax import softmax


def test_exp_has_the_series_of_exp():
    coefficients = [directional(lambda x: array_namespace(x).exp(x), np.array([0.0]), np.array([1.0]), k)[0]
                    for k in range(9)]
    assert np.allclose(coefficients, 1.0)  # k!·(1/k!)


@pytest.mark.parametrize("text", ["tan(tan(x))", "atan(x)*asin(x/3) + acos(x/4)", "x**-3 + 2**x",
                                  "sinh(x)*cosh(x)/sqrt(x)", "log(x)*exp(-x) + tanh(x)**2"])
@pytest.mark.parametrize("order", [1, 2, 4, 8])
def test_every_order_in_one_sweep_agrees_with_the_reference(text, order):
    parsed = parse(text)
    case = Case("t", function_of(parsed.expr, parsed.variables[0], text, parsed.domain),
                "derivative", np.array([0.3, 0.7, 1.1]), (order,))
    [row] = list(check_case(case, select(["taylor"])))
    assert row.verdict == "agree", row.detail


def test_forward_columns_equal_the_tapes_reverse_rows():
    z = np.array([0.3, -1.2, 2.0, 0.1])
    f = Function("softmax", sp.Integer(0), (), softmax)  # only the program is run here
    forward = select(["taylor"])[0].jacobian(f, z)
    reverse = Tape().jacobian(f, z)
    assert np.allclose(forward, reverse, rtol=0, atol=1e-15)


def _program(v):
    xp = array_namespace(v)
    return v[0] * v[1] ** 2 + xp.sin(v[0] * v[1])


def test_the_hessian_is_symmetric_and_right():
    f = Function("h", sp.Integer(0), (), _program)
    x, y = 0.4, 1.3
    h = select(["taylor"])[0].hessian(f, np.array([x, y]))
    s, c = math.sin(x * y), math.cos(x * y)
    exact = np.array([[-y * y * s, 2 * y + c - x * y * s], [2 * y + c - x * y * s, 2 * x - x * x * s]])
    assert np.allclose(h, h.T) and np.allclose(h, exact, rtol=1e-13)
