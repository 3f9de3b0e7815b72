"""`lab diff`: hostile input is rejected in one line with exit 2; known derivatives come out right."""

import json

import numpy as np
import pytest
import sympy as sp

from lab.cli import main
from lab.expression import ExpressionError, parse

HOSTILE = [
    '__import__("os").system("echo owned")',
    "os.system('ls')",
    "x.__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 1",
    "'a string'",
    "b'bytes'",
    "eval('1')",
    "exec('x=1')",
    "open('/etc/passwd')",
    "getattr(x, 'real')",
    "foo(x)",
    "x[0]",
    "[x, 1]",
    "{x: 1}",
    "x if x else 1",
    "x == 1",
    "x and 1",
    "(y := 2)",
    "f'{x}'",
    "import os",
    "x; y",
    "x +",
    "",
    "   ",
    "exp",
    "exp(x, x)",
    "exp(x=1)",
    "exp(*x)",
    "x**10**10",
    "pow(x, 1000)",
    "1e999",
    "True + x",
    "1j*x",
    "__builtins__",
    "x" * 600,
    "sin(" * 50 + "x" + ")" * 50,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_or_malformed_input_is_rejected_in_one_line(text, capsys):
    assert main(["diff", text, "--at", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("lab diff: error: ")


def test_rejection_executes_nothing(tmp_path, capsys):
    marker = tmp_path / "touched"
    assert main(["diff", f"__import__('pathlib').Path('{marker}').touch()"]) == 2
    assert not marker.exists()


KNOWN = [
    ("x**4 - 2*x**3 + 3*x**2 - 4*x + 5", 1, "4*x**3 - 6*x**2 + 6*x - 4"),
    ("x**4 - 2*x**3 + 3*x**2 - 4*x + 5", 4, "24"),
    ("sin(x)**2 + cos(x)**2", 1, "0"),
    ("exp(2*x)", 3, "8*exp(2*x)"),
    ("log(x)", 1, "1/x"),
    ("sqrt(x)", 1, "1/(2*sqrt(x))"),
    ("tanh(x)", 1, "1 - tanh(x)**2"),
    ("sigmoid(x)", 1, "exp(-x)/(1 + exp(-x))**2"),
    ("x^3", 2, "6*x"),
    ("pow(x, 3)", 1, "3*x**2"),
    ("atan(x)", 1, "1/(x**2 + 1)"),
    ("e**x", 1, "exp(x)"),
]


@pytest.mark.parametrize(("text", "order", "expected"), KNOWN)
def test_known_derivatives(text, order, expected, capsys):
    assert main(["diff", text, "--order", str(order), "--at", "0.5,1.25,2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    x = sp.Symbol("x", real=True)
    truth = sp.sympify(expected, locals={"x": x})  # the test's own trusted text
    shown = sp.sympify(result["derivative"], locals={"x": x})
    for v in (0.3, 0.7, 1.9):  # the printed derivative is the right function
        assert float(shown.subs(x, v)) == pytest.approx(float(truth.subs(x, v)), rel=1e-12, abs=1e-14)
    want = [float(truth.subs(x, v)) for v in (0.5, 1.25, 2.0)]
    assert np.allclose(result["reference"], want, rtol=1e-14, atol=1e-15)
    for name, r in result["backends"].items():
        assert r["verdict"] in ("agree", "unsupported"), name
    assert result["backends"]["torch.autograd"]["verdict"] == "agree"


def _strict(constant):
    raise ValueError(f"{constant} is not JSON")


def test_points_outside_the_domain_are_undefined_not_a_crash(capsys):
    assert main(["diff", "log(x)", "--at", "-1,0,2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out, parse_constant=_strict)
    assert result["reference"][:2] == [None, None]
    assert result["reference"][2] == pytest.approx(0.5)
    assert set(result) == {"expression", "wrt", "order", "derivative", "points", "reference",
                           "backends"}


def test_several_variables(capsys):
    assert main(["diff", "x*exp(y)", "--wrt", "y", "--at", "x=1,y=0;x=2,y=1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert np.allclose(result["reference"], [1.0, 2 * np.e])
    assert main(["diff", "x*y"]) == 2
    assert "--wrt" in capsys.readouterr().err
    assert main(["diff", "x*y", "--wrt", "y", "--at", "1,2"]) == 2


@pytest.mark.parametrize("at", ["a,b", "1,,", "x=1", "1;2=3"])
def test_bad_points(at, capsys):
    assert main(["diff", "x*y", "--wrt", "x", "--at", at]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_parse_builds_sympy_without_eval():
    expr, variables = parse("2*x^2 + pi")
    assert [v.name for v in variables] == ["x"]
    assert expr == 2 * sp.Symbol("x", real=True) ** 2 + sp.pi
    with pytest.raises(ExpressionError):
        parse("x.real")
