"""What `lab diff` and `lab.diff` are asked, read from text: the expression, the points, the
variable or direction, checked before any worker starts. Every mistake is one `LabError` line."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from lab.check.bounds import MAX_ORDER, MAX_POINTS
from lab.check.diff import shown_derivative, shown_directional, shown_field
from lab.core.expression import VARIABLE, ExpressionError, Parsed, parse
from lab.core.results import Subject
from lab.errors import LabError

FLOAT_MAX = float(np.finfo(np.float64).max)
MODES = ("derivative", "gradient", "hessian", "directional")


def utf8(text: str, what: str) -> str:
    """text, refused when the command line gave bytes that are not UTF-8 (they arrive as lone
    surrogates)."""
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise LabError(f"{what} is not valid UTF-8 text")
    return text


def _split_top_level(text: str, separator: str) -> list[str]:
    """text split at `separator` outside parentheses (so 'pow(2, 3),1' is two values)."""
    parts, depth, current = [], 0, []
    for c in text:
        depth += (c == "(") - (c == ")")
        if c == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
    return [*parts, "".join(current)]


class Typed(float):
    """A coordinate as float64 programs see it (the nearest double), carrying the exact number
    that was typed (`exact`: 0.1 is 1/10, pi/2 is π/2) for the reference."""

    exact: sp.Expr

    def __new__(cls, exact: sp.Expr):
        value = super().__new__(cls, float(exact))
        value.exact = exact
        return value

    def __reduce__(self):
        return Typed, (self.exact,)


def exact(value: float) -> sp.Expr:
    """The exact number a coordinate stands for: what was typed, or the double itself."""
    return getattr(value, "exact", None) if isinstance(value, Typed) else sp.Rational(float(value))


def constant(text: str, option: str = "--at") -> Typed:
    """A point's coordinate: a number or a constant expression ('pi/2', 'sqrt(2)', '1e-3'), read
    by the same whitelist parser as expressions; its float64 value, which must be finite, with
    the typed number as its `exact`."""
    try:
        parsed = parse(text, max_number=FLOAT_MAX)
    except ExpressionError as e:
        raise LabError(f"{option}: {text.strip()!r}: {e}") from None
    if parsed.variables:
        raise LabError(f"{option}: {text.strip()!r} is not a number")
    value = float(parsed.expr)
    if not math.isfinite(value):
        raise LabError(f"{option}: {text.strip()!r} is not a finite float64 number")
    return Typed(parsed.expr)


def parse_points(text: str, variables: tuple[sp.Symbol, ...], wrt: sp.Symbol) -> list[dict]:
    """'0.5,1,2' (one variable) or 'x=1,y=2;x=3,y=4' (several) -> one {symbol: value} per point."""
    names = {v.name: v for v in variables}
    points = []
    chunks = [c.strip() for c in (text.split(";") if "=" in text else _split_top_level(text, ","))]
    if len(chunks) > MAX_POINTS:
        raise LabError(f"--at gives {len(chunks)} points; at most {MAX_POINTS} are allowed")
    for chunk in filter(None, chunks):
        if "=" not in chunk:
            points.append({wrt: constant(chunk)})
            continue
        point = {}
        for pair in filter(None, (p.strip() for p in _split_top_level(chunk, ","))):
            name, _, value = pair.partition("=")
            if name.strip() not in names:
                raise LabError(f"--at names {name.strip()!r}, which is not a variable of the "
                               f"expression ({', '.join(names) or 'none'})")
            if names[name.strip()] in point:
                raise LabError(f"--at gives {name.strip()} twice in one point")
            point[names[name.strip()]] = constant(value)
        points.append(point)
    if not points:
        raise LabError("--at gives no points")
    for p in points:
        missing = [v.name for v in variables if v not in p]
        if missing:
            raise LabError(f"--at gives no value for {', '.join(missing)}; "
                           "write points as 'x=1,y=2;x=3,y=4'")
    return points


def parse_direction(text: str, variables: tuple[sp.Symbol, ...]) -> dict[sp.Symbol, float]:
    """'1,2' (one component per variable, in the order of their names) or 'x=1,y=2' ->
    {symbol: component}; every variable needs one, and not all may be 0."""
    names = {v.name: v for v in variables}
    parts = [p.strip() for p in _split_top_level(text, ",")]
    if not any(parts):
        raise LabError("--direction gives no components")
    if any("=" in p for p in parts):
        direction = {}
        for pair in parts:
            name, equals, value = (s.strip() for s in pair.partition("="))
            if not equals:
                raise LabError(f"--direction: write every component as name=value, not {pair!r}")
            if name not in names:
                raise LabError(f"--direction names {name!r}, which is not a variable of the "
                               f"expression ({', '.join(names)})")
            if names[name] in direction:
                raise LabError(f"--direction gives {name} twice")
            direction[names[name]] = constant(value, "--direction")
        missing = [n for n, v in names.items() if v not in direction]
        if missing:
            raise LabError(f"--direction gives no component for {', '.join(missing)}")
    else:
        if len(parts) != len(variables):
            raise LabError(f"--direction has {len(parts)} component(s), but the expression has "
                           f"{len(variables)} variable(s) ({', '.join(names)}); or write 'x=1,y=2'")
        direction = {v: constant(p, "--direction") for v, p in zip(variables, parts, strict=True)}
    if not any(direction.values()):
        raise LabError("--direction is the zero vector: every directional derivative along it is 0")
    return {v: direction[v] for v in variables}


def _variable(wrt: str | None, variables: tuple[sp.Symbol, ...]) -> sp.Symbol:
    names = {v.name: v for v in variables}
    if wrt is None:
        if len(variables) > 1:
            raise LabError(f"the expression has several variables ({', '.join(names)}): name one "
                           "with --wrt")
        return variables[0] if variables else sp.Symbol("x", real=True)
    if not VARIABLE.fullmatch(wrt):
        raise LabError(f"--wrt {wrt!r} is not a valid variable name (letters then digits, "
                       "at most 8 characters)")
    if wrt in names:
        return names[wrt]
    if variables:
        raise LabError(f"--wrt {wrt!r} is not a variable of the expression ({', '.join(names)})")
    return sp.Symbol(wrt, real=True)




def ask(text: str, mode: str = "derivative", wrt: str | None = None, order: int = 1,
        at: str = "0.5,1,2", direction: str | None = None):
    """(parsed, subject, wrt symbol, direction) for the question, every part checked."""
    utf8(text, "the expression")
    utf8(at, "--at")
    try:
        parsed = parse(text)
    except ExpressionError as e:
        raise LabError(str(e)) from None
    if not isinstance(order, int) or isinstance(order, bool) or not 1 <= order <= MAX_ORDER:
        raise LabError(f"--order must be an integer between 1 and {MAX_ORDER}")
    if mode != "derivative":
        if wrt is not None or order != 1:
            raise LabError(f"--{mode} takes every variable: drop --wrt and --order")
        if not parsed.variables:
            raise LabError(f"--{mode} needs an expression with variables")
    names = tuple(v.name for v in parsed.variables)
    if mode in ("gradient", "hessian"):
        points = parse_points(at, parsed.variables, parsed.variables[0])
        shown = shown_field(parsed.expr, parsed.variables, mode)
        return parsed, Subject(text, mode, names, _named(points), shown), None, None
    if mode == "directional":
        v = parse_direction(utf8(direction or "", "--direction"), parsed.variables)
        points = parse_points(at, parsed.variables, parsed.variables[0])
        subject = Subject(text, mode, names, _named(points), shown_directional(parsed.expr, v),
                          direction={x.name: c for x, c in v.items()})
        return parsed, subject, None, v
    variable = _variable(wrt, parsed.variables)
    points = parse_points(at, parsed.variables or (variable,), variable)
    subject = Subject(text, mode, names or (variable.name,), _named(points),
                      shown_derivative(parsed.expr, variable, order), wrt=variable.name, order=order)
    return parsed, subject, variable, None


def _named(points: list[dict]) -> list[dict[str, float]]:
    return [{v.name: x for v, x in p.items()} for p in points]


__all__ = ["MODES", "Parsed", "Typed", "ask", "constant", "exact", "parse_direction", "parse_points", "utf8"]
