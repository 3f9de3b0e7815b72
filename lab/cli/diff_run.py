"""`lab diff`'s work: read the expression and the points, run the cross-check, print a table or
JSON. Imported only when the command runs (SymPy, numpy and the backends take a while to load)."""

from __future__ import annotations

import json
import math

import numpy as np
import sympy as sp

from lab.backends import select
from lab.check.crosscheck import json_number
from lab.check.diff import (
    DiffResult,
    FieldResult,
    differentiate_along,
    differentiate_at,
    differentiate_field,
)
from lab.cli.diff import MAX_ORDER, MAX_POINTS
from lab.core.expression import VARIABLE, ExpressionError, parse
from lab.errors import LabError
from lab.output.terminal import escaped, fmt_error, out, table

FLOAT_MAX = float(np.finfo(np.float64).max)
MANY_POINTS = 12  # above this, one summary row per method instead of a table per point


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


def constant(text: str, option: str = "--at") -> float:
    """A point's coordinate: a number or a constant expression ('pi/2', 'sqrt(2)', '1e-3'), read
    by the same whitelist parser as expressions; its float64 value, which must be finite."""
    try:
        parsed = parse(text, max_number=FLOAT_MAX)
    except ExpressionError as e:
        raise LabError(f"{option}: {text.strip()!r}: {e}") from None
    if parsed.variables:
        raise LabError(f"{option}: {text.strip()!r} is not a number")
    value = float(parsed.expr)
    if not math.isfinite(value):
        raise LabError(f"{option}: {text.strip()!r} is not a finite float64 number")
    return value


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


def run(text: str, wrt: str | None, order: int, at: str, backend_names: list[str] | None,
        as_json: bool, seconds: float | None, field: str | None = None,
        direction: str | None = None) -> int:
    """Parse, cross-check and print; exit status 0 when every verdict is honest, 1 otherwise.
    Everything the user typed is checked before any backend (torch, JAX) is imported."""
    try:
        parsed = parse(text)
    except ExpressionError as e:
        raise LabError(str(e)) from None
    if not 1 <= order <= MAX_ORDER:
        raise LabError(f"--order must be between 1 and {MAX_ORDER}")
    if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
        raise LabError("--timeout must be a positive number of seconds")
    if field:
        return _run_field(text, parsed, field, wrt, order, at, backend_names, as_json, seconds)
    if direction is not None:
        if wrt is not None or order != 1:
            raise LabError("--direction takes every variable: drop --wrt and --order")
        if not parsed.variables:
            raise LabError("--direction needs an expression with variables")
        v = parse_direction(direction, parsed.variables)
        points = parse_points(at, parsed.variables, parsed.variables[0])
        result = differentiate_along(parsed, v, points, select(backend_names), seconds)
    else:
        variable = _variable(wrt, parsed.variables)
        points = parse_points(at, parsed.variables or (variable,), variable)
        result = differentiate_at(parsed, variable, order, points, select(backend_names), seconds)
    if as_json:
        print(json.dumps(as_json_object(text, result), allow_nan=False))
    else:
        _print(parsed.expr, result)
    return 0 if result.ok else 1


def _number(v) -> float | None:
    return json_number(float(v))


def as_json_object(text: str, r: DiffResult) -> dict:
    """The result as JSON-ready data (no inf or nan: null). A directional derivative gives
    "kind": "directional", "variables" and "direction" in place of "wrt" and "order"."""
    if r.direction is not None:
        head = {"expression": text, "kind": "directional",
                "variables": [v.name for v in r.direction],
                "direction": {v.name: c for v, c in r.direction.items()}, "derivative": r.derivative,
                "points": [{v.name: x for v, x in p.items()} for p in r.points]}
    else:
        head = {"expression": text, "wrt": r.wrt.name, "order": r.order, "derivative": r.derivative,
                "points": [{v.name: x for v, x in p.items()} if len(p) > 1 else p[r.wrt]
                           for p in r.points]}
    return {
        **head,
        "reference": [_number(v) for v in r.reference],
        "reference_status": r.status,
        "reference_notes": {str(i): why for i, why in r.notes.items()},
        "backends": {name: {"values": [_number(v) for v in m.values], "max_error": json_number(m.max_error),
                            "tolerance": json_number(m.tolerance), "verdict": m.verdict,
                            "point_verdicts": m.point_verdicts,
                            "point_tolerances": [_number(t) for t in m.tolerances],
                            "detail": "; ".join(m.details)}
                     for name, m in r.methods.items()},
    }


def _title(expr: sp.Expr, r: DiffResult) -> str:
    if r.direction is not None:
        v = ", ".join(f"{x}={c:.17g}" for x, c in r.direction.items())
        return escaped(f"D_v [{expr}] = ∇f·v = {r.derivative}, with v = ({v})")
    k = f"^{r.order}" if r.order > 1 else ""
    return escaped(f"d{k}/d{r.wrt}{k} [{expr}] = {r.derivative}")


def _print(expr: sp.Expr, r: DiffResult) -> None:
    out.print(_title(expr, r))
    if len(r.points) <= MANY_POINTS:
        for i, point in enumerate(r.points):
            where = escaped(", ".join(f"{v}={x:.17g}" for v, x in point.items()))
            head = (f"reference {r.reference[i]:.17g}" if r.status[i] == "exact"
                    else f"{r.status[i]}: {escaped(r.notes.get(i, ''))}")
            rows = [(escaped(name), "-" if not np.isfinite(m.values[i]) else f"{m.values[i]:.17g}",
                     fmt_error(_number(m.errors[i])), m.point_verdicts[i]) for name, m in r.methods.items()]
            out.print(table(f"at {where}: {head}", ["backend", "value", "ρ", "verdict"], rows))
    else:
        counts = {s: r.status.count(s) for s in dict.fromkeys(r.status)}
        out.print(f"{len(r.points)} points; reference: "
                  + ", ".join(f"{n} {s}" for s, n in counts.items()))
        out.print(table("every point", ["backend", "max ρ", "tolerance", "verdict"],
                        [(escaped(name), fmt_error(m.max_error), fmt_error(m.tolerance), m.verdict)
                         for name, m in r.methods.items()]))
    for name, m in r.methods.items():
        if m.details and m.verdict not in ("agree", "undefined"):  # undefined: said per point
            out.print(escaped(f"- {name} [{m.verdict}]: {'; '.join(m.details)}"))


def _run_field(text: str, parsed, field: str, wrt: str | None, order: int, at: str,
               backend_names: list[str] | None, as_json: bool, seconds: float | None) -> int:
    """`--gradient` / `--hessian`: over every variable, at every point."""
    if wrt is not None or order != 1:
        raise LabError(f"--{field} takes every variable: drop --wrt and --order")
    if not parsed.variables:
        raise LabError(f"--{field} needs an expression with variables")
    points = parse_points(at, parsed.variables, parsed.variables[0])
    result = differentiate_field(parsed, field, points, select(backend_names), seconds)
    if as_json:
        print(json.dumps(field_json(text, result), allow_nan=False))
    else:
        _print_field(parsed.expr, result)
    return 0 if result.ok else 1


def _nested(values: np.ndarray) -> list:
    return [_nested(v) for v in values] if np.ndim(values) else _number(float(values))


def field_json(text: str, r: FieldResult) -> dict:
    """The --gradient/--hessian result as JSON-ready data (no inf or nan: null)."""
    return {
        "expression": text, "kind": r.kind, "variables": [v.name for v in r.variables],
        "points": [{v.name: x for v, x in p.items()} for p in r.points],
        "reference": _nested(r.reference), "reference_status": r.status,
        "reference_notes": {str(i): why for i, why in r.notes.items()},
        "backends": {name: {"values": None if row.values is None else _nested(row.values),
                            "max_error": json_number(row.max_error),
                            "tolerance": json_number(row.tolerance), "verdict": row.verdict,
                            "point_verdicts": r.point_verdicts(row), "detail": row.detail}
                     for name, row in r.methods.items()},
    }


def _print_field(expr: sp.Expr, r: FieldResult) -> None:
    names = ", ".join(v.name for v in r.variables)
    out.print(escaped(f"{'∇' if r.kind == 'gradient' else '∇²'}[{expr}] over ({names})"))
    for i, point in enumerate(r.points[:MANY_POINTS]):
        where = escaped(", ".join(f"{v}={x:.17g}" for v, x in point.items()))
        head = (f"reference {np.array2string(r.reference[i], precision=17)}" if r.status[i] == "exact"
                else f"{r.status[i]}: {escaped(r.notes.get(i, ''))}")
        out.print(f"at {where}: {head}")
    rows = [(escaped(name), fmt_error(row.max_error), fmt_error(row.tolerance), row.verdict)
            for name, row in r.methods.items()]
    out.print(table(f"{len(r.points)} point(s)", ["backend", "max ρ", "tolerance", "verdict"], rows))
    for name, row in r.methods.items():
        if row.detail and row.verdict not in ("agree", "undefined"):
            out.print(escaped(f"- {name} [{row.verdict}]: {row.detail}"))
