"""User-typed expressions, parsed safely, and turned into a `Function` every backend can run.

The text is parsed by Python's `ast` and the tree is walked node by node: only numbers, variable
names, + − * / ** and calls of whitelisted functions are accepted, and the SymPy expression is built
from the tree directly. Nothing is evaluated, and SymPy's own parser (which calls eval) never sees
the text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

import numpy as np
import sympy as sp
from array_api_compat import is_jax_array, is_torch_array

from lab.backends import tape
from lab.backends.base import Unsupported
from lab.exercises.base import Function


class ExpressionError(ValueError):
    """The text is not an expression lab accepts; the message says what is wrong."""


FUNCTIONS: dict[str, tuple[Callable, int]] = {
    "exp": (sp.exp, 1), "log": (sp.log, 1), "ln": (sp.log, 1), "sqrt": (sp.sqrt, 1),
    "sin": (sp.sin, 1), "cos": (sp.cos, 1), "tan": (sp.tan, 1),
    "asin": (sp.asin, 1), "acos": (sp.acos, 1), "atan": (sp.atan, 1),
    "sinh": (sp.sinh, 1), "cosh": (sp.cosh, 1), "tanh": (sp.tanh, 1),
    "abs": (sp.Abs, 1), "pow": (sp.Pow, 2),
    "sigmoid": (lambda t: 1 / (1 + sp.exp(-t)), 1),
}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
OPERATORS = {ast.Add: sp.Add, ast.Sub: lambda a, b: a - b, ast.Mult: sp.Mul,
             ast.Div: lambda a, b: a / b, ast.Pow: sp.Pow}
VARIABLE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,7}")
MAX_LENGTH, MAX_DEPTH, MAX_EXPONENT, MAX_NUMBER = 500, 40, 64, 1e12


def parse(text: str) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """The SymPy expression for `text` and its variables (sorted by name), or ExpressionError."""
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"not a valid expression: {e.msg} at column {e.offset}") from None
    variables: dict[str, sp.Symbol] = {}
    expr = _build(tree.body, variables, 0)
    if not isinstance(expr, sp.Expr):
        raise ExpressionError("not an arithmetic expression")
    return expr, tuple(variables[n] for n in sorted(variables))


def _build(node: ast.AST, variables: dict[str, sp.Symbol], depth: int) -> sp.Expr:
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression nests deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.Constant):
        return _number(node.value)
    if isinstance(node, ast.Name):
        return _name(node.id, variables)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _build(node.operand, variables, depth + 1)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        left = _build(node.left, variables, depth + 1)
        right = _build(node.right, variables, depth + 1)
        if isinstance(node.op, ast.Pow) and right.is_number and abs(float(right)) > MAX_EXPONENT:
            raise ExpressionError(f"exponents are limited to ±{MAX_EXPONENT}")
        return OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.Call):
        return _call(node, variables, depth)
    raise ExpressionError(f"{_describe(node)} is not allowed; use numbers, variables, + - * / ** "
                          f"and the functions {', '.join(FUNCTIONS)}")


def _number(value: object) -> sp.Expr:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExpressionError(f"only numbers may appear as constants, not {type(value).__name__} "
                              f"{value!r}")
    if abs(value) > MAX_NUMBER or not np.isfinite(value):
        raise ExpressionError(f"numbers are limited to ±{MAX_NUMBER:g}")
    return sp.Integer(value) if isinstance(value, int) else sp.nsimplify(value, rational=True)


def _name(name: str, variables: dict[str, sp.Symbol]) -> sp.Expr:
    if name in CONSTANTS:
        return CONSTANTS[name]
    if name in FUNCTIONS:
        raise ExpressionError(f"{name} is a function: call it, e.g. {name}(x)")
    if not VARIABLE.fullmatch(name):
        raise ExpressionError(f"{name!r} is not a valid variable name (letters then digits, "
                              "at most 8 characters)")
    return variables.setdefault(name, sp.Symbol(name, real=True))


def _call(node: ast.Call, variables: dict[str, sp.Symbol], depth: int) -> sp.Expr:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(f"{_describe(node.func)} cannot be called; only named functions can")
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExpressionError(f"unknown function {name!r}; known: {', '.join(FUNCTIONS)}")
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise ExpressionError(f"{name}() takes plain positional arguments only")
    fn, arity = FUNCTIONS[name]
    if len(node.args) != arity:
        raise ExpressionError(f"{name}() takes {arity} argument(s), got {len(node.args)}")
    args = [_build(a, variables, depth + 1) for a in node.args]
    if name == "pow" and args[1].is_number and abs(float(args[1])) > MAX_EXPONENT:
        raise ExpressionError(f"exponents are limited to ±{MAX_EXPONENT}")
    return fn(*args)


def _describe(node: ast.AST) -> str:
    kinds = {ast.Attribute: "attribute access", ast.Lambda: "a lambda", ast.Subscript: "indexing",
             ast.Compare: "a comparison", ast.BoolOp: "a boolean operator", ast.IfExp: "if/else",
             ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
             ast.JoinedStr: "an f-string", ast.NamedExpr: "an assignment (:=)",
             ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator", ast.Await: "await",
             ast.Starred: "unpacking"}
    for kind, text in kinds.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.UnaryOp):
        return f"the unary operator {type(node.op).__name__}"
    return type(node).__name__


def program_for(expr: sp.Expr, variable: sp.Symbol) -> Callable:
    """An array-API program computing expr(variable) with numpy, torch or jax, whichever it is
    given (SymPy generates each: lambdify modules "numpy", "torch", "jax")."""
    compiled = {m: sp.lambdify(variable, expr, modules=m) for m in ("numpy", "torch", "jax")}
    compiled["tape"] = sp.lambdify(variable, expr, modules=[_tape_functions(), "numpy"])

    def program(x):
        module = ("torch" if is_torch_array(x) else "jax" if is_jax_array(x)
                  else "tape" if isinstance(x, tape.Var) else "numpy")
        # + 0·x keeps a constant's result an array of x's kind, and in x's graph.
        return compiled[module](x) + 0 * x

    return program


def _tape_functions() -> dict[str, Callable]:
    """What the numpy tape implements; any other function says so when the tape meets it."""

    def missing(name):
        def fail(*args):
            raise Unsupported(f"the tape has no {name}()")

        return fail

    table = {name: missing(name) for name in ("tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
                                              "asin", "acos", "atan")}
    table.update({name: getattr(tape.ops, name) for name in ("exp", "log", "sin", "cos", "tanh",
                                                            "sqrt")})
    return table


def function_of(expr: sp.Expr, variable: sp.Symbol, name: str) -> Function:
    """The Function d/d`variable` is taken of: expr with every other variable already fixed."""
    real_only = "abs() is not complex-analytic" if expr.has(sp.Abs) else ""
    return Function(name, expr, (variable,), program_for(expr, variable), real_only)
