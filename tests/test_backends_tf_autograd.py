"""TensorFlow, HIPS autograd and torch.compile as backends: the namespace programs get, traces that
are not repeated, honest refusals, and `lab diff` through them. (Every exercise through every
variant is checked against the exact reference in test_crosscheck; here one case of every kind.)"""

import json
import subprocess
import sys

import autograd
import numpy as np
import pytest
import sympy as sp
from helpers import UNHURRIED, describe, examples
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.backends import select
from lab.backends import tensorflow_ad as tfad
from lab.backends.generated import function_of
from lab.check.crosscheck import check_case
from lab.cli import main
from lab.core.arrays import namespace
from lab.core.cases import Function
from lab.core.expression import parse
from lab.exercises import all_cases
from lab.exercises.losses import LOSSES  # noqa: F401  (the exercises load their programs)
from lab.exercises.polynomial import COURSE_COEFFICIENTS, course_case, horner, power_rule
from lab.exercises.softmax import softmax, softmax_function


def test_programs_get_each_librarys_numpy():
    assert namespace(tfad.constant(np.ones(2))).__name__ == "tensorflow.experimental.numpy"
    seen = []
    autograd.grad(lambda x: (seen.append(namespace(x).__name__), x * x)[1])(1.5)
    assert seen == ["autograd.numpy"]
    assert "numpy" in namespace(np.ones(2)).__name__


def test_the_namespace_module_imports_neither_library():
    code = ("import sys, lab.core.arrays, lab.exercises; "
            "print(sorted(m for m in ('tensorflow', 'autograd') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tf_function_traces_once_for_every_number_of_points():
    f = course_case().function
    (method,) = select(["tensorflow.function"])
    before = tfad.traces(f.program, "derivative", 2, (None,))
    for n in (3, 7, 11):
        x = np.linspace(-1.0, 2.0, n)
        got = method.derivative(f, x, 2)
        assert got.shape == (n,)
    assert tfad.traces(f.program, "derivative", 2, (None,)) - before <= 1


def test_tf_and_autograd_jacobians_of_softmax_match_the_closed_form():
    z = np.array([0.5, -1.0, 2.0])
    p = softmax(z)
    closed = np.diag(p) - np.outer(p, p)
    f = softmax_function(3)
    for method in select(["tensorflow", "autograd"]):
        assert np.allclose(method.jacobian(f, z), closed, rtol=0, atol=1e-15), method.label


def test_lab_diff_hessian_through_tensorflow_autograd_and_compile(capsys):
    rc = main(["diff", "x*y + sin(x)", "--hessian", "--at", "x=1,y=2", "--json",
               "--backend", "tensorflow", "autograd", "torch.compile", *UNHURRIED])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    expected = [[-np.sin(1.0), 1.0], [1.0, 0.0]]
    assert set(out["backends"]) >= {"tensorflow.tape", "tensorflow.jacobian", "tensorflow.function",
                                    "autograd.grad", "autograd.jacobian", "torch.compile"}
    for label, result in out["backends"].items():
        assert result["verdict"] == "agree", (label, result)
        assert np.allclose(np.asarray(result["values"]).reshape(2, 2), expected, atol=1e-15), label


def test_higher_orders_of_a_user_expression(capsys):
    rc = main(["diff", "sin(x)/x", "--order", "3", "--at", "0.5,2", "--json",
               "--backend", "tensorflow", "autograd"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and {r["verdict"] for r in out["backends"].values()} == {"agree"}


@pytest.mark.parametrize("code", ["import lab.backends.tensorflow_ad, triton",
                                  "import lab.backends.tensorflow_ad, torch; "
                                  "torch.func.grad(torch.sin)(torch.tensor(1.0))"])
def test_tensorflow_then_torchs_compiler_does_not_crash(code):
    # TF's LLVM loaded before triton's crashed the process (exit −11); the backend loads triton first.
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


# --- each variant on one case of every kind, against the exact reference --------------------------
PICKED = {"p0", "softmax n=2", "softmax n=4 (logits up to 1e3)", "normalize n=3",
          "CE(softmax(z)) y one-hot", "BCE(p) y soft", "L1(softmax(z)) y soft",
          "CE(softmax(z)) hessian n=3", "e = (a + b)(b + 1)"}
CASES = [c for c in all_cases() if c.name in PICKED]
METHODS = select(["tensorflow", "autograd", "torch.compile"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.label)
def test_each_variant_agrees_with_the_exact_value(method, case):
    rows = list(check_case(case, [method], closed_forms=False))
    assert rows and all(r.ok for r in rows), describe(rows)
    for r in rows:
        if not (method.label == "torch.compile" and r.kind == "hessian"):  # see the next test
            assert r.verdict == "agree", (r.case, r.order, r.verdict, r.detail)


def test_torch_compile_says_why_it_cannot_compile_the_ce_hessian():
    (case,) = [c for c in CASES if c.kind == "hessian"]
    (row,) = check_case(case, select(["torch.compile"]), closed_forms=False)
    assert row.verdict == "unsupported"
    assert "could not compile the hessian" in row.detail and "numpy array" in row.detail


def test_torch_compile_compiles_once_for_every_number_of_points():
    from torch._dynamo.utils import counters

    p0 = course_case().function
    # a program of its own, which nothing in this process has compiled yet
    f = Function("p0", p0.expr, p0.variables, lambda x: p0.program(x))
    (method,) = select(["torch.compile"])
    graphs = []
    for n in (3, 50, 7, 1000):
        x = np.linspace(-2.0, 3.0, n)
        before = counters["stats"]["unique_graphs"]
        np.testing.assert_allclose(method.derivative(f, x, 3), 24 * x - 12, rtol=1e-12, atol=1e-12)
        graphs.append(counters["stats"]["unique_graphs"] - before)
    assert graphs == [1, 0, 0, 0]


def test_tf_function_traces_a_gradient_once_for_all_points():
    case = next(c for c in CASES if c.name == "CE(softmax(z)) y one-hot")
    (method,) = select(["tensorflow.function"])
    method.at_points("gradient", case.function, case.points)
    assert tfad.traces(case.function.program, "gradient", 1, (case.points.shape[1],)) == 1


@pytest.mark.parametrize("name", ["tensorflow", "autograd", "torch.compile"])
def test_every_function_of_lab_diff_runs_on_each_library(name):
    parsed = parse("max(x, 1)*abs(x) + log1p(x) + expm1(x)*erf(x) + sigmoid(x)*atan(x) + relu(x)**2")
    (x,) = parsed.expr.free_symbols
    f = function_of(parsed.expr, x, "f")
    points = np.array([0.5, 2.0, 3.0])
    exact = np.array([float(sp.diff(parsed.expr, x, 2).subs(x, p)) for p in points])
    for m in select([name]):
        np.testing.assert_allclose(m.derivative(f, points, 2), exact, rtol=1e-12, err_msg=m.label)


# TensorFlow's pow gradient, y·x^(y−1), differentiated past the exponent gives 0·inf at x = 0:
# away from 0 here; at 0, the next test.
AWAY_FROM_0 = st.floats(-3.0, 3.0).filter(lambda v: abs(v) > 1e-6)


def test_the_cross_check_catches_tensorflows_nan_at_zero():
    case = course_case(np.array([0.0, 1.0]))
    rows = {(r.backend, r.order): r for r in check_case(case, select(["tensorflow.tape",
                                                                       "autograd.grad"]),
                                                         closed_forms=False)}
    assert rows["autograd", 4].verdict == "agree"
    assert rows["tensorflow", 2].verdict == "agree"  # 4·3·x² is finite at 0
    bad = rows["tensorflow", 4]  # −2x³ differentiated four times: −12·0·x^(−1) = 0·inf
    assert bad.verdict == "disagree" and "x = 0" in bad.detail and "nan" in bad.detail


@settings(max_examples=examples(10))
@given(st.lists(AWAY_FROM_0, min_size=1, max_size=20), st.integers(1, 4))
def test_derivatives_follow_the_power_rule(xs, order):
    x = np.array(xs)
    c = list(COURSE_COEFFICIENTS)
    for _ in range(order):
        c = power_rule(c)
    f = course_case().function
    for m in select(["tensorflow.tape", "tensorflow.jacobian", "tensorflow.function",
                     "autograd.grad"]):
        np.testing.assert_allclose(m.derivative(f, x, order), horner(c, x), rtol=1e-12,
                                   atol=1e-11, err_msg=m.label)


def test_torch_compile_starts_over_past_dynamos_recompile_limit(monkeypatch):
    """Programs compiled through the same torch.func wrappers count against one recompile limit;
    past it the variant clears Dynamo's caches and compiles again instead of giving up."""
    from lab.backends import torch_ad

    monkeypatch.setitem(torch_ad._DYNAMO, "recompile_limit", 1)
    x = sp.Symbol("x", real=True)
    points = np.array([0.5, 1.25])
    for text, expected in [("sin(x)", np.cos(points)), ("x**3", 3 * points**2),
                           ("exp(x)*x", np.exp(points) * (1 + points))]:
        f = function_of(parse(text).expr, x, text)
        assert np.allclose(torch_ad.Compiled().derivative(f, points, 1), expected, rtol=1e-14), text
