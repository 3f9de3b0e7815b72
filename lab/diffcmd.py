"""`lab diff`: the k-th derivative of a user's expression by every backend, against the reference."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import sympy as sp

from lab.backends import Method, Unsupported, compute
from lab.console import LabError, fmt_error, out, table
from lab.crosscheck import compare, json_number, rho
from lab.expression import ExpressionError, function_of, parse
from lab.reference import reference

SIMPLIFY_LIMIT = 200  # operations; beyond that simplify() can take minutes


@dataclass
class BackendResult:
    values: list[float | None]
    max_error: float | None
    verdict: str
    detail: str = ""
    tolerance: float = 0.0

    def at(self, i: int, expected: float) -> tuple[str, str]:
        """(ρ, verdict) at point i."""
        v = self.values[i]
        if not np.isfinite(expected):
            return "-", "undefined"
        if v is None:
            return "-", self.verdict if self.verdict in ("unsupported", "error") else "disagree"
        e = float(rho(np.array(expected), np.array(v)))
        return fmt_error(e), "agree" if e <= self.tolerance else "disagree"


def parse_points(text: str, variables: tuple[sp.Symbol, ...], wrt: sp.Symbol) -> list[dict]:
    """'0.5,1,2' (one variable) or 'x=1,y=2;x=3,y=4' (several) -> one {symbol: value} per point."""
    names = {v.name: v for v in variables}
    points = []
    for chunk in filter(None, (c.strip() for c in text.split(";" if "=" in text else ","))):
        if "=" not in chunk:
            points.append({wrt: _float(chunk)})
            continue
        point = {}
        for pair in filter(None, (p.strip() for p in chunk.split(","))):
            name, _, value = pair.partition("=")
            if name.strip() not in names:
                raise LabError(f"--at names {name.strip()!r}, which is not a variable of the "
                               f"expression ({', '.join(names) or 'none'})")
            point[names[name.strip()]] = _float(value)
        points.append(point)
    if not points:
        raise LabError("--at gives no points")
    for p in points:
        missing = [v.name for v in variables if v not in p]
        if missing:
            raise LabError(f"--at gives no value for {', '.join(missing)}; "
                           "write points as 'x=1,y=2;x=3,y=4'")
    return points


def _float(text: str) -> float:
    if not re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", text):
        raise LabError(f"--at: {text.strip()!r} is not a number")
    return float(text)


def differentiate_at(expr: sp.Expr, wrt: sp.Symbol, order: int, points: list[dict],
                     methods: list[Method]) -> tuple[np.ndarray, dict[str, BackendResult]]:
    """Reference values and every method's values of d^k expr / d wrt^k at each point."""
    ref, got = [], {m.label: [] for m in methods}
    for point in points:
        fixed = expr.subs({v: sp.Rational(x) for v, x in point.items() if v != wrt})
        f = function_of(fixed, wrt, "expr")
        x = np.array([point[wrt]])
        ref.append(float(reference(f, "derivative", x, order)[0]))
        for m in methods:
            got[m.label].append(_run(m, f, x, order))
    ref = np.array(ref)
    results = {}
    for m in methods:
        values = got[m.label]
        failures = [v for v in values if isinstance(v, str)]
        numbers = np.array([np.nan if isinstance(v, str) else v for v in values])
        clean = [None if isinstance(v, str) or not np.isfinite(v) else float(v) for v in values]
        if failures and len(failures) == len(values):
            verdict = "unsupported" if failures[0].startswith("unsupported") else "error"
            results[m.label] = BackendResult(clean, None, verdict, failures[0])
            continue
        # As in the cross-check: rounding in finite differences scales with |f|, not with f'.
        tol = m.tolerance(order) * (max(1.0, _magnitude(expr, points)) if m.family == "numerical"
                                    else 1.0)
        worst, verdict, detail = compare(ref, numbers, tol)
        results[m.label] = BackendResult(clean, worst, verdict, detail, tol)
    return ref, results


def _magnitude(expr, points) -> float:
    try:
        return max(abs(float(expr.subs({v: sp.Rational(x) for v, x in p.items()}))) for p in points)
    except (TypeError, ValueError):
        return 1.0


def _run(m: Method, f, x: np.ndarray, order: int) -> float | str:
    try:
        with np.errstate(all="ignore"):
            return float(compute(m, "derivative", f, x, order)[0])
    except Unsupported as e:
        return f"unsupported: {e}".replace("unsupported: unsupported: ", "unsupported: ")
    except Exception as e:  # noqa: BLE001 — reported per backend
        return f"{type(e).__name__}: {e}".splitlines()[0]


def shown(derivative: sp.Expr) -> sp.Expr:
    """The derivative simplified, unless it is too large for simplify() to finish quickly."""
    return sp.simplify(derivative) if sp.count_ops(derivative) <= SIMPLIFY_LIMIT else derivative


def run(text: str, wrt: str | None, order: int, at: str, methods: list[Method], as_json: bool) -> int:
    try:
        expr, variables = parse(text)
    except ExpressionError as e:
        raise LabError(str(e)) from None
    if order < 1 or order > 8:
        raise LabError("--order must be between 1 and 8")
    names = {v.name: v for v in variables}
    if wrt is None:
        if len(variables) > 1:
            raise LabError(f"the expression has several variables ({', '.join(names)}): name one "
                           "with --wrt")
        wrt_symbol = variables[0] if variables else sp.Symbol("x", real=True)
    elif wrt in names:
        wrt_symbol = names[wrt]
    elif not variables:
        wrt_symbol = sp.Symbol(wrt, real=True)
    else:
        raise LabError(f"--wrt {wrt!r} is not a variable of the expression ({', '.join(names)})")
    points = parse_points(at, variables or (wrt_symbol,), wrt_symbol)
    derivative = shown(sp.diff(expr, wrt_symbol, order))
    ref, results = differentiate_at(expr, wrt_symbol, order, points, methods)
    if as_json:
        print(json.dumps(_as_json(text, wrt_symbol, order, derivative, points, ref, results)))
    else:
        _print(expr, wrt_symbol, order, derivative, points, ref, results)
    return 0 if all(r.verdict in ("agree", "undefined", "unsupported") for r in results.values()) else 1


def _as_json(text, wrt, order, derivative, points, ref, results) -> dict:
    return {
        "expression": text, "wrt": wrt.name, "order": order, "derivative": str(derivative),
        "points": [{v.name: x for v, x in p.items()} if len(p) > 1 else p[wrt] for p in points],
        "reference": [float(v) if np.isfinite(v) else None for v in ref],
        "backends": {name: {"values": r.values, "max_error": json_number(r.max_error), "verdict": r.verdict}
                     for name, r in results.items()},
    }


def _print(expr, wrt, order, derivative, points, ref, results) -> None:
    out.print(f"d{'^' + str(order) if order > 1 else ''}/d{wrt}{'^' + str(order) if order > 1 else ''}"
              f" [{expr}] = {derivative}", markup=False)
    for i, point in enumerate(points):
        where = ", ".join(f"{v}={x:g}" for v, x in point.items())
        expected = ref[i]
        rows = [(name, "-" if r.values[i] is None else f"{r.values[i]:.17g}", *r.at(i, expected))
                for name, r in results.items()]
        title = f"at {where}: " + (f"reference {expected:.17g}" if np.isfinite(expected)
                                   else "the derivative is undefined here")
        out.print(table(title, ["backend", "value", "ρ", "verdict"], rows))
    for name, r in results.items():
        if r.detail and r.verdict != "agree":
            out.print(f"- {name} [{r.verdict}]: {r.detail}", markup=False)
