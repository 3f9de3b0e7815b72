"""Kinks — where abs, sign, Heaviside, relu/max/min switch branches — decided exactly, and the
derivative at a kink by one-sided derivatives.

Away from its kinks an expression is smooth: near a point where no kink's argument is 0 (and no
max/min is tied), every kink follows one branch (|u| is u or −u, max(a, b) is a or b), chosen by
the exact sign of its argument at the point (`lab.core.enclosure.exact_sign`), never by digits.
`branches` writes the expression with those branches: a smooth expression SymPy differentiates.

At a point where an argument is exactly 0, each side of the point along a variable v follows its
own branch: the sign of u(x0 + s·t·e_v) for small t > 0 is that of the first nonzero Taylor
coefficient of u along v, times s to its order. The k-th derivative along v exists exactly when
the one-sided derivatives of orders 0 … k agree (and, for sign and Heaviside, which can jump, the
value at the point is theirs too); it is then their common value: x·|x| at 0 has derivative 0,
max(x², x⁴) has second derivative 2, |x| has none. A derivative expression that is singular at
the point (0/0) takes its one-sided limits there (SymPy's `limit`), which must be finite and agree.

Several variables: each entry of a gradient, Jacobian or Hessian is its partial derivative as
defined — the one-variable derivative along its axis, with the other coordinates fixed — so each
entry gets the rule above on its own. A mixed second derivative ∂²f/∂xᵢ∂xⱼ is d/dt ∂f/∂xᵢ at
x0 + t·eⱼ: it needs ∂f/∂xᵢ at x0, continuity of ∂f/∂xᵢ along xⱼ, and equal one-sided derivatives.
"""

from __future__ import annotations

import sympy as sp

from lab.core.budget import OverBudget, budget
from lab.core.enclosure import NeedsPrecision, Singular, Undecided, compiled, exact_sign, to_float
from lab.core.symbolic import NoDerivative

KINKS = (sp.Abs, sp.sign, sp.Heaviside, sp.DiracDelta, sp.Max, sp.Min)
JUMPS = (sp.sign, sp.Heaviside)  # kinks whose function value itself can jump
TAYLOR_TERMS = 24  # derivatives tried to find which side of 0 a non-polynomial argument lies on
LIMIT_SECONDS = 5.0


class AtKink(Exception):
    """A kink's argument is exactly 0 at the point (or a max/min is tied there)."""


class Persistent(Exception):
    """A kink's argument is 0 all along a line through the point."""


def has_kinks(expr) -> bool:
    """Whether expr contains abs, sign, Heaviside, DiracDelta, max or min."""
    return expr.has(*KINKS)


def side_sign(u: sp.Expr, point: dict, along: sp.Symbol | None = None, side: int = 0) -> int:
    """The sign of u at the point, exactly; where that is 0 and `along` is given, the sign of
    u(x0 + side·t·e_along) for all small t > 0 (0 if u stays 0 along the line)."""
    s = exact_sign(u.xreplace(point))
    if s != 0 or along is None:
        return s
    line = u.xreplace({k: v for k, v in point.items() if k != along})
    if along not in line.free_symbols:
        return 0
    x0 = point[along]
    if line.is_polynomial(along):
        coefficients = reversed(sp.Poly(line, along).shift(x0).all_coeffs())  # of t⁰, t¹, …
        for j, c in enumerate(coefficients):
            if j and (s := exact_sign(c)):
                return s * side**j
        return 0
    derivative = line
    for j in range(1, TAYLOR_TERMS + 1):
        derivative = sp.diff(derivative, along)
        try:
            s = exact_sign(derivative.xreplace({along: x0}))
        except Singular:  # u is not smooth at the point: its Taylor series says nothing
            break
        if s:
            return s * side**j
    raise Undecided(f"on which side of 0 {u} lies next to the point")


def branches(expr, point: dict, along: sp.Symbol | None = None, side: int = 0,
             at_point: bool = False, require: str = ""):
    """expr with every kink replaced by the smooth branch it follows:
      at the point (along None): `AtKink` if an argument is 0 or a max/min is tied there;
      on one side of the point along a variable (along, side ±1): just off the point there;
      at_point: the value each kink takes at the point itself (sign(0) = 0, Heaviside(0) = ½).
    require, for an argument that is 0 at the point (the mixed derivatives' conditions):
      "cross": it must leave 0 along the line (else `Persistent`);
      "stay": it must stay 0 all along the line (else Undecided);
      "first": its first derivative along the line must not be 0 (else Undecided)."""
    memo: dict = {}

    def sign_of(u: sp.Expr) -> int:
        if require == "first" and exact_sign(u.xreplace(point)) == 0:
            s = exact_sign(sp.diff(u, along).xreplace(point)) * side
            if s == 0:
                raise Undecided(f"a mixed derivative where {u} is 0 to second order")
            return s
        s = side_sign(u, point, along, side)
        if s == 0 and not at_point and along is None:
            raise AtKink(f"{u} is 0 at the point")
        if require == "cross" and s == 0:
            raise Persistent(f"{u} stays 0 along {along}")
        if require == "stay" and s != 0 and exact_sign(u.xreplace(point)) == 0:
            raise Undecided(f"a mixed derivative where {u} stays 0 along one axis and "
                            "another argument crosses 0")
        return s

    def walk(e):
        if e in memo:
            return memo[e]
        if e.is_Atom or not e.has(*KINKS):
            result = e
        else:
            args = [walk(a) for a in e.args]
            result = _branch(e, args, sign_of) if isinstance(e, KINKS) else e.func(*args)
        memo[e] = result
        return result

    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(walk)
    return walk(expr)


def _branch(kink, args: list, sign_of) -> sp.Expr:
    if isinstance(kink, sp.Max | sp.Min):
        return _extreme(args, sign_of, 1 if isinstance(kink, sp.Max) else -1)
    s = sign_of(args[0])
    if isinstance(kink, sp.Abs):
        return -args[0] if s < 0 else args[0]
    if isinstance(kink, sp.sign):
        return sp.Integer(s)
    if isinstance(kink, sp.Heaviside):
        return sp.Integer(1) if s > 0 else sp.Integer(0) if s < 0 else sp.Heaviside(0, *args[1:])
    if s == 0:  # DiracDelta at 0
        raise Singular(f"{kink} at the point")
    return sp.Integer(0)


def _extreme(args: list, sign_of, direction: int) -> sp.Expr:
    """The argument of max (direction 1) or min (−1) that the function follows."""
    best = args[0]
    for a in args[1:]:
        if sign_of(a - best) * direction > 0:
            best = a
    return best


def value_at(expr: sp.Expr, point: dict, along: sp.Symbol | None = None, side: int = 0) -> sp.Expr:
    """The exact value of the smooth `expr` at the point (an exact SymPy number); where the
    expression is singular there, its one-sided limit along `along` (NoDerivative if infinite)."""
    symbols = tuple(sorted(expr.free_symbols, key=sp.default_sort_key))
    program = compiled((expr,), symbols)
    for bits in (128, 1024, 8192):
        try:
            program.evaluate(point, bits)
            return expr.xreplace(point)
        except Singular:
            if along is None:
                raise
            return _limit(expr, point, along, side)
        except NeedsPrecision:
            continue
    raise Undecided(f"whether {expr} is singular at the point")


def _limit(expr: sp.Expr, point: dict, along: sp.Symbol, side: int) -> sp.Expr:
    line = expr.xreplace({k: v for k, v in point.items() if k != along})
    try:
        with budget(LIMIT_SECONDS, "a one-sided limit"):
            limit = sp.limit(line, along, point[along], "+" if side > 0 else "-")
    except OverBudget:
        raise Undecided(f"the limit of {line} at the point could not be computed") from None
    except (NotImplementedError, ValueError, TypeError) as e:
        raise Undecided(f"the limit of {line} at the point: {e}") from None
    if not (limit.is_real and limit.is_finite):
        raise NoDerivative(f"the derivative tends to {limit} from the {_side(side)}")
    return limit


def _side(side: int) -> str:
    return "right" if side > 0 else "left"


def _show(value: sp.Expr) -> str:
    try:
        return f"{to_float(compiled((value,), ()).evaluate({}, 128)[0]):.6g}"
    except ArithmeticError:
        return str(value)


def _ordinal(j: int) -> str:
    return {0: "values", 1: "first derivatives", 2: "second derivatives",
            3: "third derivatives"}.get(j, f"{j}th derivatives")


def along_axis(expr: sp.Expr, point: dict, v: sp.Symbol, order: int) -> sp.Expr:
    """The exact order-th derivative of expr along v at the point (an exact SymPy number), by
    one-sided derivatives; NoDerivative where they differ."""
    plus, minus = branches(expr, point, v, 1), branches(expr, point, v, -1)
    if expr.has(*JUMPS):  # the value at the point must be the sides' value
        here = value_at(branches(expr, point, at_point=True), point)
        for piece, side in ((plus, 1), (minus, -1)):
            if exact_sign(value_at(piece, point, v, side) - here) != 0:
                raise NoDerivative(f"a kink where the function jumps: its value at the point "
                                   f"is {_show(here)}, from the {_side(side)} "
                                   f"{_show(value_at(piece, point, v, side))}")
    for j in range(order + 1):
        right_expr = sp.diff(plus, v, j)
        left_expr = right_expr if plus == minus else sp.diff(minus, v, j)
        right, left = value_at(right_expr, point, v, 1), value_at(left_expr, point, v, -1)
        if exact_sign(right - left) != 0:
            raise NoDerivative(f"a kink: the one-sided {_ordinal(j)} along {v} differ "
                               f"({_show(left)} from the left, {_show(right)} from the right)")
    return right


def mixed(expr: sp.Expr, point: dict, vi: sp.Symbol, vj: sp.Symbol) -> sp.Expr:
    """The exact ∂²expr/∂vi∂vj = d/dt ∂expr/∂vi(x0 + t·e_vj) at t = 0, by one-sided derivatives."""
    first = along_axis(expr, point, vi, 1)
    try:
        sides = [(sp.diff(branches(expr, point, vj, s, require="cross"), vi), s) for s in (1, -1)]
    except Persistent:
        return _mixed_on_kink(expr, point, vi, vj)
    ends = []
    for g, s in sides:
        if exact_sign(value_at(g, point, vj, s) - first) != 0:
            raise NoDerivative(f"∂f/∂{vi} jumps across the kink along {vj}")
        ends.append(value_at(sp.diff(g, vj), point, vj, s))
    if exact_sign(ends[0] - ends[1]) != 0:
        raise NoDerivative(f"a kink: the one-sided derivatives of ∂f/∂{vi} along {vj} differ "
                           f"({_show(ends[1])} from the left, {_show(ends[0])} from the right)")
    return ends[0]


def _mixed_on_kink(expr: sp.Expr, point: dict, vi: sp.Symbol, vj: sp.Symbol) -> sp.Expr:
    """∂²expr/∂vi∂vj where the kink stays at the point all along vj (|y| moving in x). If every
    argument at 0 crosses 0 along vi at first order, its sign off the line is the same all along
    the line near the point, so ∂f/∂vi there is that of the same two branches: it exists along
    the line exactly when their ∂/∂vi agree all along it, and the mixed derivative is then that
    of either branch."""
    branches(expr, point, vj, 1, require="stay")
    plus, minus = (branches(expr, point, vi, s, require="first") for s in (1, -1))
    gap = sp.diff(plus - minus, vi).xreplace({k: v for k, v in point.items() if k != vj})
    if not _identically_zero(gap, vj, point[vj]):
        raise NoDerivative(f"∂f/∂{vi} does not exist along {vj} next to the point (a kink)")
    return value_at(sp.diff(plus, vi, vj), point)


def _identically_zero(line: sp.Expr, v: sp.Symbol, x0: sp.Expr) -> bool:
    """Whether the function `line` of v alone is 0 on a neighbourhood of x0."""
    if exact_sign(line.xreplace({v: x0})) != 0:
        return False
    if v not in line.free_symbols:
        return True
    if line.is_polynomial(v):
        return sp.Poly(line, v).is_zero
    if side_sign(line, {v: x0}, v, 1) != 0:
        return False
    raise Undecided(f"whether {line} vanishes near the point")
