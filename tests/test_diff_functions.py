"""`lab diff`'s newer functions (inverse hyperbolics, expm1, log1p, log2, log10, erf, sign, relu,
max, min) and integer exponents up to ±1000: known derivatives, domains, kinks, cost bounds."""

import json
import math
import time

import numpy as np
import pytest

from lab.backends import select
from lab.backends.generated import function_of
from lab.check.crosscheck import check_case
from lab.cli import main
from lab.core.cases import Case, Function
from lab.core.expression import parse
from lab.core.reference import reference

BACKENDS = ["--backend", "sympy", "finite", "torch", "jax", "tape", "taylor"]
HONEST = {"agree", "unsupported", "inaccurate"}


def _diff(capsys, *argv: str) -> tuple[int, dict]:
    rc = main(["diff", *argv, "--json", *BACKENDS])
    return rc, json.loads(capsys.readouterr().out)


# (expression, point, d/dx at the point by hand)
KNOWN = [
    ("asinh(x)", 0.75, 1 / math.sqrt(1 + 0.75**2)),  # 1/√(1 + x²) = 0.8
    ("acosh(x)", 1.25, 1 / math.sqrt(1.25**2 - 1)),  # 1/√(x² − 1) = 4/3
    ("atanh(x)", 0.5, 1 / (1 - 0.25)),  # 1/(1 − x²) = 4/3
    ("expm1(x)", 1e-10, math.exp(1e-10)),
    ("log1p(expm1(x))", 1e-10, 1.0),  # = x
    ("log1p(x)", -0.5, 2.0),  # 1/(1 + x)
    ("log10(x)", 10.0, 1 / (10 * math.log(10))),
    ("log2(x)", 4.0, 1 / (4 * math.log(2))),
    ("erf(x)", 0.0, 2 / math.sqrt(math.pi)),
    ("erf(x)", 1.5, 2 / math.sqrt(math.pi) * math.exp(-2.25)),
    ("sign(x)", -2.0, 0.0),
    ("relu(x)", 2.0, 1.0),
    ("relu(x)", -2.0, 0.0),
    ("max(x, 1)", 2.0, 1.0),
    ("min(x, 1)", 2.0, 0.0),
    ("max(x, 2*x, 3)", 2.0, 2.0),  # max is 2x = 4 there
    ("max(x, 2*x, 3)", 1.0, 0.0),  # max is the constant 3
    ("x*relu(x - 1)", 3.0, 5.0),  # x(x − 1) for x > 1: 2x − 1
    ("max(x*x, x, exp(-999), x)", -1.5, -3.0),  # SymPy's simplify fails on it: shown unsimplified
]


@pytest.mark.parametrize(("text", "x", "expected"), KNOWN)
def test_known_derivatives_of_the_new_functions(text, x, expected, capsys):
    rc, result = _diff(capsys, text, "--at", repr(x))
    assert rc == 0
    assert result["reference"]["status"] == ["exact"]
    assert result["reference"]["values"][0] == pytest.approx(expected, rel=1e-14)
    verdicts = {name: b["verdict"] for name, b in result["backends"].items()}
    assert set(verdicts.values()) <= HONEST, verdicts
    for name in ("sympy.lambdify", "torch.autograd", "jax.grad", "tape.reverse", "taylor.forward"):
        assert verdicts[name] == "agree", (name, result["backends"][name]["detail"])


@pytest.mark.parametrize(("text", "outside"), [
    ("acosh(x)", [0.5, 1.0, -2.0]),  # needs x ≥ 1; at 1 the derivative is infinite
    ("atanh(x)", [1.0, -1.0, 2.0]),  # needs −1 < x < 1
    ("log1p(x)", [-1.0, -3.0]),  # needs x > −1
    ("log10(x)", [0.0, -1.0]),
    ("log2(x)", [0.0, -4.0]),
    ("log2(exp(x) - 1)", [0.0, -1.0]),  # the argument's sign decides, not x's
])
def test_outside_the_domain_the_verdict_is_undefined(text, outside, capsys):
    at = ",".join(map(repr, [*outside, 1.5 if text.startswith("acosh") else 0.5]))
    rc, result = _diff(capsys, text, "--at", at)
    assert rc == 0
    assert result["reference"]["status"] == ["undefined"] * len(outside) + ["exact"]
    for name, b in result["backends"].items():
        assert b["point_verdicts"][: len(outside)] == ["undefined"] * len(outside) or \
            b["verdict"] == "unsupported", name
        assert b["point_verdicts"][-1] in HONEST, name


@pytest.mark.parametrize(("text", "wrt", "at", "kinks"), [
    ("sign(x)", "x", "0,1", 1),
    ("relu(x)", "x", "0,-1,1", 1),
    ("relu(x - 1)*x", "x", "1,2", 1),
    ("max(x, 1)", "x", "1,3", 1),
    ("min(x, x**2)", "x", "0,1,0.5", 2),  # x = x² at 0 and 1
    ("max(x, y)", "x", "x=2,y=2;x=3,y=2", 1),
    ("min(x, y, 3)", "y", "x=1,y=1;x=5,y=3;x=1,y=2", 2),
])
@pytest.mark.parametrize("order", [1, 2])
def test_at_a_kink_the_verdict_is_undefined(text, wrt, at, kinks, order, capsys):
    rc, result = _diff(capsys, text, "--wrt", wrt, "--at", at, "--order", str(order))
    assert rc == 0
    assert result["reference"]["status"][:kinks] == ["undefined"] * kinks
    assert set(result["reference"]["status"][kinks:]) == {"exact"}
    assert all("kink" in result["reference"]["notes"][str(i)] for i in range(kinks))
    for name, b in result["backends"].items():
        if b["verdict"] != "unsupported":
            assert b["point_verdicts"][:kinks] == ["undefined"] * kinks, name
            assert set(b["point_verdicts"][kinks:]) <= HONEST, (name, b["detail"])
    assert result["backends"]["finite.complex_step"]["verdict"] == "unsupported"  # not analytic


def test_a_kink_can_be_failed_by_a_wrong_value():
    """The reference's verdicts can fail: a program that is wrong away from the kink disagrees."""
    parsed = parse("relu(x)")
    wrong = function_of(parse("relu(x)*1.5").expr, parsed.variables[0], "wrong").program
    case = Case("t", Function("relu", parsed.expr, parsed.variables, wrong), "derivative",
                np.array([0.0, 2.0]))
    [row] = list(check_case(case, select(["tape"])))
    assert row.verdict == "disagree" and "x = 2" in row.detail


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_the_tape_and_forward_mode_implement_the_new_functions(order):
    text = "asinh(x)*expm1(x) + log1p(x)*erf(x) + atanh(x/2) + acosh(x + 2) + log2(x)*log10(x + 1)"
    parsed = parse(text)
    case = Case("t", function_of(parsed.expr, parsed.variables[0], text, parsed.domain),
                "derivative", np.array([0.3, 0.7, 1.1]), (order,))
    rows = list(check_case(case, select(["tape", "taylor"])))
    assert [r.verdict for r in rows] == ["agree", "agree"], [r.detail for r in rows]


def test_constant_expressions_with_the_new_functions_are_points(capsys):
    rc, result = _diff(capsys, "sin(x)", "--at", "log2(8),asinh(0),expm1(0)+log10(1000),erf(0)")
    assert rc == 0
    assert [p["x"] for p in result["points"]] == [3.0, 0.0, 3.0, 0.0]
    assert np.allclose(result["reference"]["values"], np.cos([3.0, 0.0, 3.0, 0.0]), rtol=1e-15)


@pytest.mark.parametrize(("text", "x", "expected"), [
    ("x**99", 1.5, 99 * 1.5**98),
    ("x**-99", 1.5, -99 * 1.5**-100),
    ("x**99", -1.01, 99 * 1.01**98),
    ("pow(x, 1000)", 0.999, 1000 * 0.999**999),
    ("x**999", -1.0001, 999 * 1.0001**998),
])
def test_integer_exponents_above_64(text, x, expected, capsys):
    rc, result = _diff(capsys, text, "--at", repr(x))
    assert rc == 0
    assert result["reference"]["values"][0] == pytest.approx(expected, rel=1e-12)
    verdicts = {name: b["verdict"] for name, b in result["backends"].items()}
    assert set(verdicts.values()) <= HONEST, verdicts
    for name in ("sympy.lambdify", "torch.autograd", "jax.jit", "tape.reverse", "taylor.forward"):
        assert verdicts[name] == "agree", (name, result["backends"][name]["detail"])


def test_a_huge_power_stays_bounded_in_time(capsys):
    """x**999 at a large x has no float64 value (overflow); at a tiny x it is 0 to float64; the
    exact reference decides both quickly, at every order."""
    parsed = parse("x**999 + x**-999")
    f = function_of(parsed.expr, parsed.variables[0], "power", parsed.domain)
    start = time.monotonic()
    for order in range(1, 9):
        ref = reference(f, "derivative", np.array([1e300, 1e-300, 1e150, 1.0001, -0.9999]), order)
        assert list(ref.status) == ["overflow"] * 3 + ["exact"] * 2
    assert time.monotonic() - start < 10
    rc, result = _diff(capsys, "x**999", "--at", "1e300,1e-300,-1e-300,1.0001")
    assert rc == 0, {name: b["detail"] for name, b in result["backends"].items()}
    assert result["reference"]["status"] == ["overflow", "exact", "exact", "exact"]
    assert result["reference"]["values"][1:3] == [0.0, 0.0]
    assert {b["verdict"] for b in result["backends"].values()} <= HONEST


@pytest.mark.parametrize(("text", "why"), [
    ("x**1001", "±1000"),
    ("(x**40)**40", "combined"),
    ("x**999/x**-2", "combined"),
    ("2**x**2000", "±1000"),
    ("10**400*x", "beyond float64"),
    ("atanh(1)*x", "atanh(1) is undefined"),
    ("max(x)", "2 or more"),
])
def test_bounds_and_constant_domains_are_one_line_errors(text, why, capsys):
    assert main(["diff", text, "--at", "1"]) == 2
    err = capsys.readouterr().err
    assert why in err and err.count("\n") == 1


def test_domains_are_recorded_as_written():
    assert [(c.kind, str(c.expr)) for c in parse("acosh(x)").domain] == [("nonnegative", "x - 1")]
    assert [(c.kind, str(c.expr)) for c in parse("atanh(x)").domain] == [("positive", "1 - x**2")]
    assert [(c.kind, str(c.expr)) for c in parse("log1p(x)").domain] == [("positive", "x + 1")]
    assert {(c.kind, str(c.expr)) for c in parse("log2(x) + log10(x)").domain} == {("positive", "x")}


def test_sign_of_a_non_obviously_real_argument_is_differentiated(capsys):
    # d²|log x|/dx² = −sign(log x)/x²: SymPy leaves d sign(log x)/dx unevaluated unless told.
    rc, out = _diff(capsys, "abs(log(x))", "--order", "2", "--at", "0.5,2")
    assert rc == 0
    sympy = out["backends"]["sympy.lambdify"]
    assert sympy["verdict"] == "agree" and out["reference"]["values"] == [4.0, -0.25]
    assert np.allclose(sympy["values"], [1 / 0.25, -1 / 4])
