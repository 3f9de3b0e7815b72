"""User-typed expressions, parsed safely into SymPy, with the domain of the expression as written.

The text is parsed by Python's `ast` and the tree is walked node by node: only numbers, variable
names, + − * / ** and calls of whitelisted functions are accepted, and the SymPy expression is built
from the tree directly. Nothing is evaluated, and SymPy's own parser (which calls eval) never sees
the text. A typed decimal is taken exactly (0.1 is 1/10, not the double nearest to it).

SymPy simplifies as it builds (exp(log(x)) becomes x, x**2/x becomes x), which would erase where the
typed function is undefined; so every log (ln, log2, log10, log1p), sqrt, division, fractional power,
inverse sine/cosine and inverse hyperbolic cosine/tangent records a `Condition` on its argument as it
is built. Exact constants are bounded in size before they are computed (a tower of powers of a
12-digit number would otherwise run for hours); a constant's fractional power other than a square
root is taken to 60 digits rather than exactly, and parsing has a time budget.

Integer exponents are bounded by ±MAX_EXPONENT (1000), typed or produced by SymPy combining powers
((x**40)**40 is x**1600). Evaluating x**n costs O(log n) products everywhere — mpmath, numpy, torch,
JAX, the tape and forward mode — so the bound is not about time: past it x**n is a finite, nonzero
float64 only for |x| within a factor e^(±709/n) of 1 (0.49 … 2.03 at n = 1000), so larger exponents
test nothing but overflow, and an unbounded one would overflow the integer exponents of torch and JAX.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from lab.core.budget import OverBudget, budget
from lab.core.cases import Condition
from lab.core.symbolic import expm1, log1p


class ExpressionError(ValueError):
    """The text is not an expression lab accepts; the message says what is wrong."""


FUNCTIONS: dict[str, tuple[Callable, int]] = {
    "exp": (sp.exp, 1), "log": (sp.log, 1), "ln": (sp.log, 1), "sqrt": (sp.sqrt, 1),
    "sin": (sp.sin, 1), "cos": (sp.cos, 1), "tan": (sp.tan, 1),
    "asin": (sp.asin, 1), "acos": (sp.acos, 1), "atan": (sp.atan, 1),
    "sinh": (sp.sinh, 1), "cosh": (sp.cosh, 1), "tanh": (sp.tanh, 1),
    "asinh": (sp.asinh, 1), "acosh": (sp.acosh, 1), "atanh": (sp.atanh, 1),
    "expm1": (expm1, 1), "log1p": (log1p, 1),
    "log10": (lambda t: sp.log(t, 10), 1), "log2": (lambda t: sp.log(t, 2), 1),
    "erf": (sp.erf, 1), "abs": (sp.Abs, 1), "sign": (sp.sign, 1), "pow": (sp.Pow, 2),
    "sigmoid": (lambda t: 1 / (1 + sp.exp(-t)), 1), "relu": (lambda t: sp.Max(0, t), 1),
    "max": (sp.Max, 2), "min": (sp.Min, 2),
}
VARIADIC = ("max", "min")  # their arity is a minimum
# The condition each function puts on its (first) argument u: the kind, the expression of u that
# must be of that kind, and the name used in messages.
ARGUMENT_DOMAIN: dict[str, tuple[str, Callable[[sp.Expr], sp.Expr], str]] = {
    "log": ("positive", lambda u: u, "log"), "ln": ("positive", lambda u: u, "log"),
    "log2": ("positive", lambda u: u, "log2"), "log10": ("positive", lambda u: u, "log10"),
    "log1p": ("positive", lambda u: 1 + u, "log1p (1 + argument)"),
    "sqrt": ("nonnegative", lambda u: u, "sqrt"),
    "asin": ("unit", lambda u: u, "asin"), "acos": ("unit", lambda u: u, "acos"),
    "acosh": ("nonnegative", lambda u: u - 1, "acosh (argument − 1)"),
    "atanh": ("positive", lambda u: 1 - u**2, "atanh (1 − argument²)"),
}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
VARIABLE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,7}")
MAX_LENGTH, MAX_DEPTH, MAX_EXPONENT, MAX_NUMBER = 500, 40, 1000, 1e12
MAX_CONSTANT_BITS = 4096  # numerator and denominator of an exact constant
CONSTANT_DIGITS = 60  # a constant's fractional power other than a square root, to this many digits
PARSE_SECONDS = 10.0  # SymPy simplifying as it builds, at most
FLOAT_MAX = float(np.finfo(np.float64).max)


@dataclass(frozen=True)
class Parsed:
    """A parsed expression: SymPy form, variables (sorted by name), and its domain as written."""

    expr: sp.Expr
    variables: tuple[sp.Symbol, ...]
    domain: tuple[Condition, ...]


class _Builder:
    """Walks the tree, building the SymPy expression and collecting the domain conditions."""

    def __init__(self, text: str, max_number: float):
        self.text, self.max_number = text, max_number
        self.variables: dict[str, sp.Symbol] = {}
        self.domain: list[Condition] = []

    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        """The SymPy expression of one node (and its subtree)."""
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult, ast.Div,
                                                             ast.Pow):
            # A chain a + b + c + … nests to the left; its length is not depth.
            chained = isinstance(node.left, ast.BinOp) and type(node.left.op) is type(node.op)
            left = self.build(node.left, depth if chained else depth + 1)
            right = self.build(node.right, depth + 1)
            return self.operator(node.op, left, right)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise ExpressionError(f"{_describe(node)} is not allowed; use numbers, variables, "
                              f"+ - * / ** and the functions {', '.join(FUNCTIONS)}")

    def operator(self, op: ast.operator, left: sp.Expr, right: sp.Expr) -> sp.Expr:
        if isinstance(op, ast.Add):
            return _checked(left + right)
        if isinstance(op, ast.Sub):
            return _checked(left - right)
        if isinstance(op, ast.Mult):
            _bounded_product(left, right)
            return _bounded_exponents(_checked(left * right))
        if isinstance(op, ast.Div):
            if right.is_number and right.is_zero:
                raise ExpressionError("division by zero")
            self.require("nonzero", right, "division")
            return _bounded_exponents(_checked(left / right))
        return self.power(left, right)

    def power(self, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        if exponent.is_number and abs(float(exponent)) > MAX_EXPONENT:
            raise ExpressionError(f"exponents are limited to ±{MAX_EXPONENT}")
        if base.is_Rational and exponent.is_Integer:
            bits = max(int(base.p).bit_length(), int(base.q).bit_length()) * abs(int(exponent))
            if bits > MAX_CONSTANT_BITS:
                raise ExpressionError(f"a constant power has more than {MAX_CONSTANT_BITS} bits")
        if not (exponent.is_Integer and exponent >= 0):
            if exponent.is_Integer:  # a negative integer power divides
                self.require("nonzero", base, "division")
            else:  # a fractional or variable power takes a root or a logarithm of the base
                self.require("nonnegative" if exponent.is_number and exponent > 0 else "positive",
                             base, "power")
        if base.is_number and exponent.is_Rational and not exponent.is_Integer and not (
                base.is_Rational and exponent.q == 2):
            # SymPy extracts perfect roots from a constant's fractional power by factoring
            # products of its prime powers; with a large denominator (0.123 is 123/1000) or roots
            # combined in a product, one big-integer power can run for hours where no time budget
            # reaches. Such a constant is kept to CONSTANT_DIGITS digits; square roots stay exact.
            value = sp.Pow(base, exponent, evaluate=False).evalf(CONSTANT_DIGITS)
            return _checked(sp.Float(value, CONSTANT_DIGITS))
        return _bounded_exponents(_checked(sp.Pow(base, exponent)))

    def number(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ExpressionError(f"only numbers may appear as constants, not "
                                  f"{type(value).__name__} {value!r}")
        if math.isinf(value):
            raise ExpressionError(f"{ast.get_source_segment(self.text, node)} is beyond float64's range")
        if not abs(value) <= self.max_number:
            raise ExpressionError(f"numbers are limited to ±{self.max_number:g}")
        if isinstance(value, int):
            return sp.Integer(value)
        typed = (ast.get_source_segment(self.text, node) or repr(value)).replace("_", "")
        return sp.Rational(typed)  # the decimal as typed, exactly

    def name(self, name: str) -> sp.Expr:
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise ExpressionError(f"{name} is a function: call it, e.g. {name}(x)")
        if not VARIABLE.fullmatch(name):
            raise ExpressionError(f"{name!r} is not a valid variable name (letters then digits, "
                                  "at most 8 characters)")
        return self.variables.setdefault(name, sp.Symbol(name, real=True))

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(f"{_describe(node.func)} cannot be called; only named functions can")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name!r}; known: {', '.join(FUNCTIONS)}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError(f"{name}() takes plain positional arguments only")
        fn, arity = FUNCTIONS[name]
        if name in VARIADIC and len(node.args) < arity:
            raise ExpressionError(f"{name}() takes {arity} or more arguments, got {len(node.args)}")
        if name not in VARIADIC and len(node.args) != arity:
            raise ExpressionError(f"{name}() takes {arity} argument(s), got {len(node.args)}")
        args = [self.build(a, depth + 1) for a in node.args]
        if name == "pow":
            return self.power(*args)
        if name in ARGUMENT_DOMAIN:
            kind, of, what = ARGUMENT_DOMAIN[name]
            condition = of(args[0])
            self.require(kind, condition, what, "" if condition == args[0] else f"{name}({args[0]})")
        if name == "sqrt" and args[0].is_number:  # nested square roots of a constant are roots
            return self.power(args[0], sp.S.Half)  # with growing denominators: see power()
        return _checked(fn(*args))

    def require(self, kind: str, expr: sp.Expr, what: str, shown: str = "") -> None:
        """Record that `expr` must be `kind` (constants are decided now); `shown` names the
        operation in the message when `expr` is not simply its argument."""
        condition = Condition(kind, expr, what)
        if expr.is_number:
            if not condition.holds(expr):
                raise ExpressionError(f"{shown} is undefined in the reals" if shown else
                                      f"{what} of the constant {expr} is undefined in the reals")
            return
        self.domain.append(condition)


def _checked(expr: sp.Expr) -> sp.Expr:
    """expr, unless it is a constant that is not a finite real number (1/0, log(-1), oo) or lies
    beyond float64's range. The range is checked as each constant is built: a function of a
    constant past it (sin(exp(exp(100)))) would need millions of digits to evaluate, and one past
    mpmath's own exponents (exp(exp(exp(1000)))) cannot be evaluated at all."""
    if not expr.is_number:
        return expr
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or expr.is_extended_real is False:
        raise ExpressionError(f"the constant {expr} is not a finite real number")
    if not expr.is_Rational:  # typed numbers and exact rationals are bounded in parse()
        try:
            value = expr.evalf(15)
            beyond = bool(value.is_Number) and not abs(float(value)) <= FLOAT_MAX
        except OverflowError:
            beyond = True
        if beyond:
            raise ExpressionError(f"the constant {_short(expr)} is beyond float64's range")
    return expr


def _bounded_exponents(expr: sp.Expr) -> sp.Expr:
    """expr, unless SymPy combined powers into an exponent beyond ±MAX_EXPONENT
    ((x**40)**40 is x**1600, x**999*x**2 is x**1001)."""
    for power in expr.atoms(sp.Pow):
        if power.exp.is_Rational and abs(power.exp) > MAX_EXPONENT:
            raise ExpressionError(f"exponents are limited to ±{MAX_EXPONENT}, and {power} "
                                  "exceeds that once powers are combined")
    return expr


def _bounded_product(left: sp.Expr, right: sp.Expr) -> None:
    bits = sum(max(int(a.p).bit_length(), int(a.q).bit_length()) for a in (left, right) if a.is_Rational)
    if bits > MAX_CONSTANT_BITS:
        raise ExpressionError(f"a constant product has more than {MAX_CONSTANT_BITS} bits")


def parse(text: str, max_number: float = MAX_NUMBER) -> Parsed:
    """The SymPy expression for `text`, its variables and its domain, or ExpressionError.
    Typed numbers are limited to ±max_number (a point's coordinates may use all of float64)."""
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"not a valid expression: {e.msg} at column {e.offset}") from None
    builder = _Builder(text.replace("^", "**"), max_number)
    try:
        with budget(PARSE_SECONDS, "parsing the expression"):
            expr = builder.build(tree.body, 0)
    except OverBudget as e:
        raise ExpressionError(f"{e}; its constants are too costly to take exactly") from None
    if not isinstance(expr, sp.Expr):
        raise ExpressionError("not an arithmetic expression")
    for constant in expr.atoms(sp.Number):  # a float64 program could not hold it
        if abs(constant) > FLOAT_MAX:
            raise ExpressionError(f"the constant {_short(constant)} is beyond float64's range")
    return Parsed(expr, tuple(builder.variables[n] for n in sorted(builder.variables)),
                  tuple(dict.fromkeys(builder.domain)))


def _short(number: sp.Expr) -> str:
    text = str(number)
    if len(text) <= 40:
        return text
    return f"{sp.Float(number, 6)}" if number.is_Rational else f"{text[:37]}..."


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
