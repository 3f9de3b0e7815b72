"""Each op of the tape and of forward mode is registered where it is defined, and one SymPy table
serves SymEngine, CasADi and the programs the tape and forward mode run for `lab diff`."""

import inspect

import numpy as np
import pytest
import sympy as sp

from lab.backends import casadi_sx, symengine_sym, tape, taylor, translate
from lab.backends.generated import function_of
from lab.errors import Unsupported
from lab.exercises import all_cases

# Public functions of each module that are not array-API ops: the machinery around them. A new op
# defined without `@op(...)` is missing from both lists and fails the first test.
NOT_OPS = {
    tape: {"op", "lift", "unbroadcast", "spread", "take_along", "put_along", "take",
           "put", "backward", "grad_of", "derivatives", "hessian_of"},
    taylor: {"op", "lift", "mul", "reciprocal", "seeded", "directional"},
}


@pytest.mark.parametrize("module", [tape, taylor], ids=["tape", "taylor"])
def test_every_op_defined_is_registered(module):
    registered = {id(f) for f in module.OPS.values()}
    defined = {name for name, f in vars(module).items()
               if inspect.isfunction(f) and f.__module__ == module.__name__ and not name.startswith("_")}
    unregistered = sorted(name for name in defined - NOT_OPS[module]
                          if id(getattr(module, name)) not in registered)
    assert not unregistered, f"defined but not registered: {unregistered}"
    assert all(getattr(module.ops, name) is f for name, f in module.OPS.items())


class _Recorder:
    """A namespace that notes each name a program looks up, then hands out the real op."""

    def __init__(self, namespace, used: set):
        self.namespace, self.used = namespace, used

    def __getattr__(self, name):
        if not name.startswith("__"):  # the module's own attributes are not ops
            self.used.add(name)
        return getattr(self.namespace, name)


def test_every_op_the_exercises_use_has_a_rule_in_both_registries(monkeypatch):
    used: set[str] = set()
    monkeypatch.setattr(tape.Var, "__array_namespace__", lambda self, api_version=None:
                        _Recorder(tape.ops, used))
    for case in all_cases():
        point = case.points if case.kind == "derivative" else case.points[0]
        tape.lift(case.function.program(tape.Var(np.asarray(point, dtype=np.float64))))
    assert {"exp", "log", "sum", "max"} <= used  # softmax and the losses reached the namespace
    missing = {name: [m for m, ops in (("tape", tape.OPS), ("taylor", taylor.OPS)) if name not in ops]
               for name in used}
    assert not {k: v for k, v in missing.items() if v}


def test_the_sympy_functions_the_exercises_use_are_in_the_one_table():
    found = set()
    for case in all_cases():
        expr = case.function.expr
        for e in (expr if isinstance(expr, sp.MatrixBase) else [expr]):
            found |= {type(f) for f in e.atoms(sp.Function)}
    from lab.core.symbolic import LogSumExp  # rewritten before translation (translate.py)

    assert found and found - {LogSumExp} <= set(translate.FUNCTIONS)


def test_symengine_and_casadi_tables_are_the_one_table():
    for library in (symengine_sym.TABLE, casadi_sx.TABLE):
        assert set(library) - {sp.Add, sp.Mul, sp.Pow} <= set(translate.FUNCTIONS)
    assert sp.gamma in symengine_sym.TABLE and sp.gamma not in casadi_sx.TABLE
    assert casadi_sx.TABLE[sp.Abs] is casadi_sx.ca.fabs


@pytest.mark.parametrize(("library", "who"), [("tape", "the tape"), ("taylor", "forward mode")])
def test_a_function_a_library_lacks_is_refused_by_name(library, who):
    x = sp.Symbol("x")
    module = tape if library == "tape" else taylor
    value = tape.Var(np.array([0.5])) if library == "tape" else taylor.seeded(
        np.array([0.5]), np.array([1.0]), 1)
    with pytest.raises(Unsupported, match=rf"{who} has no counterpart of SymPy's gamma\(\)"):
        function_of(sp.gamma(x) + x, x, "g").program(value)
    assert "gamma" not in module.OPS


def test_a_generated_program_shares_subexpressions_and_matches_numpy():
    x = sp.Symbol("x")
    expr = sp.sin(x) ** 2 + sp.asinh(sp.sin(x)) - sp.Max(x, sp.Rational(1, 3), -x) / sp.sqrt(x + 2)
    points = np.array([-0.7, 0.2, 1.3])
    f = function_of(expr, x, "f")
    expected = f.program(points)
    assert np.allclose(f.program(tape.Var(points)).value, expected, rtol=1e-15)
    jet = f.program(taylor.seeded(points, np.ones(3), 2))
    assert np.allclose(jet.c[0], expected, rtol=1e-15)
    steps = translate.program(expr, (x,), translate.table(tape.OPS.get), "the tape")
    assert np.allclose(steps(points), expected, rtol=1e-15)


def test_an_unknown_symbol_is_refused():
    x, y = sp.symbols("x y")
    with pytest.raises(Unsupported, match="of x only, not y"):
        translate.program(x + y, (x,), translate.table(tape.OPS.get), "the tape")
