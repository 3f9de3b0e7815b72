"""Programs generated from a SymPy expression: what `lab diff` hands the backends.

SymPy's `lambdify` writes the same expression for numpy, torch and JAX (modules "numpy", "torch",
"jax") and, through the table below, for the numpy tape. Constant subexpressions (sin(1), pi/2)
are folded to float64 first: torch has no torch.sin for a Python number, and a float64 program
uses the nearest double of every constant anyway (the exact reference does not).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from array_api_compat import is_jax_array, is_torch_array

from lab.backends import tape, taylor
from lab.core.cases import Condition, Function
from lab.errors import Unsupported

# SymPy's numpy printer names → the tape's ops; a function missing here says so when met.
TAPE_FUNCTIONS = ("exp", "log", "sin", "cos", "tanh", "sqrt")
TAPE_MISSING = ("tan", "arcsin", "arccos", "arctan", "sinh", "cosh")


# The same for forward mode, which implements them all.
TAYLOR_FUNCTIONS = ("exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "sqrt", "arcsin",
                    "arccos", "arctan")


def _tape_table() -> dict[str, Callable]:
    def missing(name):
        def fail(*args):
            raise Unsupported(f"the tape has no {name}()")

        return fail

    return {**{name: missing(name) for name in TAPE_MISSING},
            **{name: getattr(tape.ops, name) for name in TAPE_FUNCTIONS}}


def folded(expr: sp.Expr) -> sp.Expr:
    """expr with every constant subexpression replaced by its float64 value."""
    return expr.replace(lambda e: e.is_number and not e.is_Atom or e in (sp.pi, sp.E),
                        lambda e: sp.Float(float(e), 17))


def _per_library(variables: tuple[sp.Symbol, ...], expr: sp.Expr) -> dict[str, Callable]:
    """expr lambdified once for each kind of array a program may be given."""
    expr = folded(expr)
    taylor_table = {name: getattr(taylor.ops, name) for name in TAYLOR_FUNCTIONS}
    return {**{m: sp.lambdify(variables, expr, modules=m) for m in ("numpy", "torch", "jax")},
            "tape": sp.lambdify(variables, expr, modules=[_tape_table(), "numpy"]),
            "taylor": sp.lambdify(variables, expr, modules=[taylor_table, "numpy"])}


def _library(x) -> str:
    return ("torch" if is_torch_array(x) else "jax" if is_jax_array(x)
            else "tape" if isinstance(x, tape.Var) else "taylor" if isinstance(x, taylor.Jet)
            else "numpy")


def program_for(expr: sp.Expr, variable: sp.Symbol) -> Callable:
    """An array-API program computing expr(variable) elementwise with numpy, torch, jax, the tape
    or forward mode, whichever kind of array it is given."""
    compiled = _per_library((variable,), expr)

    def program(x):
        # + 0·x keeps a constant's result an array of x's kind, and in x's graph.
        return compiled[_library(x)](x) + 0 * x

    return program


def function_of(expr: sp.Expr, variable: sp.Symbol, name: str,
                domain: tuple[Condition, ...] = ()) -> Function:
    """The Function d/d`variable` is taken of: expr with every other variable already fixed."""
    return Function(name, expr, (variable,), program_for(expr, variable), _real_only(expr), domain)


def vector_program_for(expr: sp.Expr, variables: tuple[sp.Symbol, ...]) -> Callable:
    """An array-API program computing expr at a point v = (v₀, …, vₙ₋₁) of the `variables`, for
    whichever kind of array v is."""
    compiled = _per_library(variables, expr)

    def program(v):
        entries = [v[i] for i in range(len(variables))]
        # + 0·v₀ keeps a constant's result an array of v's kind, and in v's graph.
        return compiled[_library(v)](*entries) + 0 * entries[0]

    return program


def vector_function_of(expr: sp.Expr, variables: tuple[sp.Symbol, ...], name: str,
                       domain: tuple[Condition, ...] = ()) -> Function:
    """The Function whose gradient or Hessian over all `variables` is taken."""
    return Function(name, expr, variables, vector_program_for(expr, variables), _real_only(expr),
                    domain)


def _real_only(expr: sp.Expr) -> str:
    return "abs() is not complex-analytic" if expr.has(sp.Abs) else ""
