"""Values too large for any ball: exp of exp(10³⁰⁸) has an exponent no arb ball holds.

Such a value is carried as `Huge`: its sign and a lower bound L on ln|value|, with L ≥ 710 so
that |value| > float64's largest. The operations that keep a rigorous statement about it do — a
sum with smaller terms, a product with factors away from 0, a power, exp, and the functions that
saturate (tanh, erf, atan → their limits within e^(−L), far below float64's smallest subnormal);
every other raises NeedsPrecision, so that the reference climbs to more bits and, at the top of
its ladder, says `uncertified`. A Huge result is a certified overflow; 1/Huge is a certified 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp
from flint import arb
from sympy.codegen import cfunctions

from lab.core.numeric_errors import NeedsPrecision

HUGE_LOG = 710.0  # ln of float64's largest is 709.78
TINY = arb(2) ** -1101  # e^(−710) and below round to 0 in float64; so does anything within TINY


@dataclass(frozen=True)
class Huge:
    """A real number with the given sign and ln|value| ≥ log_lower (≥ HUGE_LOG)."""

    sign: int
    log_lower: float


def huge(sign: int, log_lower: float) -> Huge:
    if not log_lower >= HUGE_LOG:
        raise NeedsPrecision("a value too large for a ball may be within float64's range")
    return Huge(sign, log_lower)


def near(value: arb) -> arb:
    """A ball around `value` wide enough for anything within e^(−710) of it."""
    return value + arb(0, TINY)


def _log_lower(ball: arb) -> float:
    return float(ball.abs_lower().log().lower())


def _log_upper(ball: arb) -> float:
    return -math.inf if ball.abs_upper() == 0 else float(ball.abs_upper().log().upper())


def from_exponential(kind: type, u: arb) -> Huge | None:
    """exp(u), expm1(u), sinh(u) or cosh(u) where arb gave no finite ball: a Huge if u is
    certainly large enough, else None (more bits may help)."""
    if kind in (sp.exp, cfunctions.expm1) and u > HUGE_LOG:
        return Huge(1, float(u.lower()))
    if kind in (sp.sinh, sp.cosh) and abs(u) > HUGE_LOG + 1:
        sign = 1 if kind is sp.cosh or u > 0 else -1
        return Huge(sign, float(abs(u).lower()) - 1)
    return None


def apply(node: sp.Expr, args: list) -> arb | Huge:
    """The operation of `node` on arguments of which at least one is Huge."""
    if node.is_Add:
        return _sum(args)
    if node.is_Mul:
        return _product(args)
    if node.is_Pow:
        return _power(*args)
    (u, *rest) = args
    if rest or not isinstance(u, Huge):
        raise NeedsPrecision(f"{type(node).__name__} of a value too large for a ball")
    if isinstance(node, sp.exp | cfunctions.expm1 | sp.sinh | sp.cosh):
        return _exponential(type(node), u)
    saturating = {sp.tanh: arb(1), sp.erf: arb(1), sp.atan: arb.pi() / 2}
    for kind, limit in saturating.items():
        if isinstance(node, kind):
            return near(limit * u.sign)
    if isinstance(node, sp.sin | sp.cos):
        return arb(0, 1)
    if isinstance(node, sp.Abs):
        return Huge(1, u.log_lower)
    if isinstance(node, sp.sign):
        return arb(u.sign)
    raise NeedsPrecision(f"{type(node).__name__} of a value too large for a ball")


def _exponential(kind: type, u: Huge) -> arb | Huge:
    grown = math.exp(u.log_lower) - 1 if u.log_lower < 700 else math.inf
    if kind is sp.cosh:
        return Huge(1, grown)
    if kind is sp.sinh:
        return Huge(u.sign, grown)
    if u.sign > 0:
        return Huge(1, grown)
    return near(arb(0)) if kind is sp.exp else near(arb(-1))


def _sum(terms: list) -> Huge:
    large = [t for t in terms if isinstance(t, Huge)]
    if len({t.sign for t in large}) > 1:
        raise NeedsPrecision("huge terms of opposite signs")
    rest = [t for t in terms if not isinstance(t, Huge)]
    bound = max(t.log_lower for t in large)
    if rest and _log_upper(sum(rest[1:], rest[0])) > bound - 1:
        raise NeedsPrecision("a huge term and a large one")
    return huge(large[0].sign, bound - 1 if rest else bound)


def _product(factors: list) -> Huge:
    sign, bound = 1, 0.0
    for f in factors:
        if isinstance(f, Huge):
            sign, bound = sign * f.sign, bound + f.log_lower
        elif f > 0 or f < 0:
            sign, bound = sign * (1 if f > 0 else -1), bound + _log_lower(f)
        else:
            raise NeedsPrecision("a huge factor times a ball around 0")
    return huge(sign, bound)


def _power(base, exponent) -> arb | Huge:
    if isinstance(exponent, Huge) or not isinstance(base, Huge):
        raise NeedsPrecision("a power with a huge exponent")
    if exponent > 0:
        integer = exponent.is_exact() and exponent.is_integer()
        if base.sign < 0 and not integer:
            raise NeedsPrecision("a fractional power of a huge negative number")
        odd = integer and int(exponent.unique_fmpz()) % 2 == 1
        sign = base.sign if odd else 1
        return huge(sign, base.log_lower * float(exponent.lower()))
    if exponent < 0 and base.log_lower * float(exponent.upper()) < -765:  # |value| < 2⁻¹¹⁰¹
        return near(arb(0))
    raise NeedsPrecision("a small power of a huge number")
