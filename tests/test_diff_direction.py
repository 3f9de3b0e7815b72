"""`lab diff --direction v`: the directional derivative d/dt f(x + t·v) at t = 0, cross-checked like
any derivative; it equals ∇f(x)·v where f is differentiable, and bad vectors are one-line errors."""

import json

import numpy as np
import pytest

from lab.cli import main

BACKENDS = ["--backend", "sympy", "finite", "torch", "jax", "tape", "taylor"]
HONEST = {"agree", "unsupported", "inaccurate"}


def _json(capsys, *argv: str) -> dict:
    assert main(["diff", *argv, "--json", *BACKENDS]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("text", "direction", "at"), [
    ("x*y + sin(x)*exp(y)", "0.5,-2", "x=1,y=2;x=-0.3,y=0.1"),
    ("log1p(x**2)*atanh(y/3) + z", "x=1,y=1,z=pi", "x=1,y=2,z=0;x=0.5,y=-1,z=1"),
    ("sqrt(x)*erf(y)", "y=1,x=0", "x=2,y=0.5"),
    ("t*x + exp(t)", "x=2,t=-1", "t=0.5,x=3"),  # a variable named t is no parameter of x + t·v
])
def test_the_directional_derivative_is_the_gradient_dotted_with_v(text, direction, at, capsys):
    along = _json(capsys, text, "--direction", direction, "--at", at)
    gradient = _json(capsys, text, "--gradient", "--at", at)
    v = np.array([along["direction"][name] for name in gradient["variables"]])
    expected = np.array(gradient["reference"]["values"]) @ v
    assert np.allclose(along["reference"]["values"], expected, rtol=1e-14, atol=1e-15)
    assert along["reference"]["status"] == ["exact"] * len(expected)
    for name, b in along["backends"].items():
        assert b["verdict"] in HONEST, (name, b["detail"])
    for name in ("sympy.lambdify", "torch.autograd", "jax.grad", "tape.reverse", "taylor.forward",
                 "finite.complex_step"):
        assert along["backends"][name]["verdict"] == "agree", name


def test_json_names_the_direction_and_the_points(capsys):
    result = _json(capsys, "x*y", "--direction", "-1,2", "--at", "x=3,y=4")
    assert set(result) == {"schema", "lab_version", "ok", "counts", "expression", "mode", "variables",
                           "wrt", "order", "direction", "derivative", "points", "reference", "backends"}
    assert result["mode"] == "directional" and result["variables"] == ["x", "y"]
    assert result["direction"] == {"x": -1.0, "y": 2.0}
    assert result["points"] == [{"x": 3.0, "y": 4.0}]
    assert result["reference"]["values"] == [-4.0 + 6.0]  # ∇(xy) = (y, x) = (4, 3)
    assert result["derivative"] == "2*x - y"
    b = result["backends"]["torch.autograd"]
    assert set(b) == {"family", "values", "error_estimate", "max_error", "tolerance", "verdict", "ok",
                      "point_verdicts", "point_errors", "point_tolerances", "compile_seconds",
                      "compute_seconds", "peak_rss_mb", "detail"}


def test_named_and_positional_vectors_agree_and_constants_are_allowed(capsys):
    named = _json(capsys, "x*exp(y)", "--direction", "y=log2(8),x=sqrt(2)", "--at", "x=1,y=0")
    positional = _json(capsys, "x*exp(y)", "--direction", "sqrt(2),3", "--at", "x=1,y=0")
    assert named["direction"] == positional["direction"] == {"x": 2**0.5, "y": 3.0}
    assert (named["reference"]["values"] == positional["reference"]["values"]
            == pytest.approx([2**0.5 + 3.0], rel=1e-15))


def test_one_variable_is_a_scaled_derivative(capsys):
    result = _json(capsys, "sin(x)", "--direction", "3", "--at", "0,pi/3")
    assert np.allclose(result["reference"]["values"], [3.0, 1.5], rtol=1e-15)


def test_kinks_along_and_across_the_direction(capsys):
    # max(x, y) at x = y has no gradient, but along (1, 1) it is x + t: derivative 1.
    result = _json(capsys, "max(x, y)", "--direction", "1,1", "--at", "x=2,y=2")
    assert result["reference"]["status"] == ["exact"] and result["reference"]["values"] == [1.0]
    # Across the kink it has none: undefined for the reference and every method.
    result = _json(capsys, "max(x, y)", "--direction", "1,0", "--at", "x=2,y=2;x=3,y=2")
    assert result["reference"]["status"] == ["undefined", "exact"]
    for name, b in result["backends"].items():
        assert b["verdict"] == "unsupported" or b["point_verdicts"][0] == "undefined", name
    result = _json(capsys, "atanh(x*y)", "--direction", "1,1", "--at", "x=2,y=1")
    assert result["reference"]["status"] == ["undefined"]


@pytest.mark.parametrize(("argv", "why"), [
    (["--direction", "0,0"], "zero vector"),
    (["--direction", "1"], "1 component(s)"),
    (["--direction", "1,2,3"], "3 component(s)"),
    (["--direction", "x=1,z=2"], "'z'"),
    (["--direction", "x=1"], "no component for y"),
    (["--direction", "x=1,x=2,y=3"], "twice"),
    (["--direction", "x=1,y"], "name=value"),
    (["--direction", "1,foo(2)"], "unknown function"),
    (["--direction", "1e999,1"], "beyond float64"),
    (["--direction", "1,y"], "not a number"),
    (["--direction", ","], "no components"),
    (["--direction", "1,2", "--wrt", "x"], "drop --wrt"),
    (["--direction", "1,2", "--order", "2"], "drop --wrt and --order"),
    (["--direction", "1,2", "--gradient"], "not allowed"),
    (["--direction", "1,2", "--hessian"], "not allowed"),
])
def test_bad_directions_are_one_line_errors(argv, why, capsys):
    try:
        status = main(["diff", "x*y", "--at", "x=1,y=2", *argv])
    except SystemExit as e:  # argparse's own errors (options that exclude each other) exit
        status = e.code
    assert status == 2
    err = capsys.readouterr().err
    assert why in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_constant_expression_has_no_direction(capsys):
    assert main(["diff", "2", "--direction", "1"]) == 2
    assert "needs an expression with variables" in capsys.readouterr().err


def test_a_negative_first_component_is_read_as_a_value(capsys):
    result = _json(capsys, "x*y", "--direction", "-1,-2", "--at", "x=1,y=1")
    assert result["direction"] == {"x": -1.0, "y": -2.0} and result["reference"]["values"] == [-3.0]
