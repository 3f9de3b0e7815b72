"""Rigorous enclosures of SymPy expressions: arb ball arithmetic (python-flint).

`compiled(exprs, symbols)` turns expressions into a `Program`; `Program.evaluate(point, bits)`
returns, for each expression, a ball (midpoint ± radius) that contains its exact value at the exact
point — a dict from each symbol to an exact SymPy number (a Rational, or a constant such as π) —
computed with `bits` of working precision. The ball is a proof, not an estimate: however the
rounding goes, the exact value lies inside.

Where an operation's argument ball touches the point at which the operation is singular (a
division by a ball containing 0, sqrt or log at 0, asin at ±1, sign at 0), the ball cannot say
whether the exact argument *is* that point. `exact_sign` then decides it exactly: by SymPy's exact
arithmetic where the argument is rational at the point, by an enclosure at rising precision that
excludes the point, or by a symbolic proof that it is zero. An argument exactly at the singular
point continues as that exact number (√0 = 0) or raises `Singular` (1/0, log 0); one that is not
raises `NeedsPrecision`, and the caller climbs to more bits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from fractions import Fraction

import sympy as sp
from flint import arb, ctx, fmpq, fmpz
from sympy.codegen import cfunctions

from lab.core import astronomic
from lab.core.astronomic import Huge
from lab.core.budget import OverBudget, budget
from lab.core.numeric_errors import NeedsPrecision, NotReal, Singular, Undecided
from lab.core.symbolic import LogSumExp

__all__ = ["Huge", "NeedsPrecision", "NotReal", "Program", "Singular", "Undecided", "ball_of",
           "compiled", "exact_sign", "to_float"]

SIGN_BITS = (64, 256, 1024, 4096, 16384)  # precisions at which exact_sign tries to separate from 0
PROOF_SECONDS = 2.0  # SymPy's simplify, trying to prove a number is 0


def _exact_ball(value: sp.Expr) -> arb | None:
    """The ball of a rational or binary-float constant (exact where it fits the precision)."""
    if value.is_Integer:
        return arb(fmpz(int(value)))
    if value.is_Rational:
        return arb(fmpq(int(value.p), int(value.q)))
    if isinstance(value, sp.Float):
        sign, mantissa, exponent, _ = value._mpf_
        return arb(fmpz((-1) ** sign * int(mantissa))) * arb(2) ** int(exponent)
    return None


def ball_of(value: sp.Expr) -> arb:
    """A ball containing the exact SymPy number `value`, at the current precision."""
    value = sp.sympify(value, strict=True)  # numbers only: text is never parsed here
    ball = _exact_ball(value)
    if ball is not None:
        return ball
    (ball,) = compiled((value,), ()).run({}, {})
    return ball


def to_float(ball: arb) -> float:
    """The float64 nearest to the ball's midpoint (correctly rounded; subnormals and 0 included);
    OverflowError beyond float64's range."""
    if isinstance(ball, Huge):
        raise OverflowError("a value beyond any ball")
    if ball.is_zero():
        return 0.0
    if ball.mid().abs_upper() < arb(2) ** -1100:  # far below the smallest subnormal
        return -0.0 if ball.mid() < 0 else 0.0
    if ball.mid().abs_lower() > arb(2) ** 1100:  # far beyond the largest double
        raise OverflowError("beyond float64's range")
    mantissa, exponent = ball.mid().man_exp()
    exact = Fraction(int(mantissa)) * (Fraction(2) ** int(exponent))
    return float(exact)


# ---- operations: each takes balls and, where it is singular somewhere, a way to decide ---------------
# `decide(c)` is the exact sign of (the operation's argument − c) at the point.

def _guard(ball: arb, at: int, decide: Callable[[int], int], singular: bool) -> arb | None:
    """None if `ball` is clear of the point `at`; the exact ball `at` if the exact argument is
    that point and the operation is defined there; else Singular or NeedsPrecision."""
    if not ball.contains(at):
        return None
    if decide(at) != 0:
        raise NeedsPrecision(f"a ball touches {at}")
    if singular:
        raise Singular(f"at argument {at}")
    return arb(at)


def _log(u, decide):
    _guard(u, 0, decide, singular=True)
    if u < 0:
        raise NotReal("the logarithm of a negative number")
    return u.log()


def _log1p(u, decide):
    _guard(u, -1, decide, singular=True)
    if u < -1:
        raise NotReal("log1p of a number below −1")
    return u.log1p()


def _bounded_unit(name: str, singular: bool):
    """asin, acos (defined at ±1) and atanh (singular at ±1): real on [−1, 1] only."""
    def op(u, decide):
        for end in (1, -1):
            exact = _guard(u, end, decide, singular)
            if exact is not None:
                return getattr(exact, name)()
        if u > 1 or u < -1:
            raise NotReal(f"{name} of a number outside [−1, 1]")
        return getattr(u, name)()
    return op


def _acosh(u, decide):
    exact = _guard(u, 1, decide, singular=False)
    if exact is not None:
        return arb(0)
    if u < 1:
        raise NotReal("acosh of a number below 1")
    return u.acosh()


def _sign(u, decide):
    if u > 0:
        return arb(1)
    if u < 0:
        return arb(-1)
    _guard(u, 0, decide, singular=False)
    return arb(0)


def _heaviside(u, decide, at_zero=None):
    if u > 0:
        return arb(1)
    if u < 0:
        return arb(0)
    _guard(u, 0, decide, singular=False)
    return at_zero if at_zero is not None else arb(fmpq(1, 2))


def _dirac(u, decide, *order):
    if u > 0 or u < 0:
        return arb(0)
    _guard(u, 0, decide, singular=True)
    return arb(0)  # not reached: _guard raises


def _power(base: arb, exponent: sp.Expr | None, exponent_ball: arb, decide) -> arb:
    """base ** exponent; `exponent` is the SymPy exponent when it is a constant rational."""
    if exponent is not None and exponent.is_Integer:
        n = int(exponent)
        if n < 0:
            _guard(base, 0, decide, singular=True)
        return base ** n
    exact = _guard(base, 0, decide, singular=False)
    if exact is not None:  # 0 ** e: 0 for e > 0, singular for e < 0
        if exponent_ball > 0:
            return arb(0)
        if exponent_ball < 0:
            raise Singular("0 to a negative power")
        raise NeedsPrecision("the sign of an exponent")
    if base < 0:
        raise NotReal("a fractional power of a negative number")
    if exponent is not None and exponent.is_Rational:
        root = base.sqrt() if exponent.q == 2 else base.root(int(exponent.q))
        return root ** int(exponent.p)
    return base ** exponent_ball


def _plain(name: str):
    return lambda u, decide: getattr(u, name)()


def _exponential(kind: type, name: str):
    """exp, expm1, sinh, cosh: beyond what a ball holds, a `Huge` (lab.core.astronomic)."""
    def op(u, decide):
        value = getattr(u, name)()
        if value.is_finite():
            return value
        large = astronomic.from_exponential(kind, u)
        if large is None:
            raise NeedsPrecision(f"{name} of a large argument")
        return large
    return op


FUNCTIONS: dict[type, Callable] = {
    sp.exp: _exponential(sp.exp, "exp"), sp.sinh: _exponential(sp.sinh, "sinh"),
    sp.cosh: _exponential(sp.cosh, "cosh"), cfunctions.expm1: _exponential(cfunctions.expm1, "expm1"),
    sp.sin: _plain("sin"), sp.cos: _plain("cos"), sp.tan: _plain("tan"), sp.atan: _plain("atan"),
    sp.tanh: _plain("tanh"), sp.asinh: _plain("asinh"), sp.erf: _plain("erf"), sp.log: _log,
    cfunctions.log1p: _log1p,
    sp.asin: _bounded_unit("asin", False), sp.acos: _bounded_unit("acos", False),
    sp.atanh: _bounded_unit("atanh", True), sp.acosh: _acosh, sp.Abs: lambda u, decide: abs(u),
    sp.sign: _sign, sp.Heaviside: _heaviside, sp.DiracDelta: _dirac,
}
CONSTANTS = {sp.pi: arb.pi, sp.E: arb.const_e}


class Program:
    """SymPy expressions compiled to a straight-line program over balls; each step remembers its
    SymPy node, so that an exact decision can be asked about it."""

    def __init__(self, exprs: tuple, symbols: tuple):
        self.symbols = symbols
        self.nodes: list[sp.Expr] = []
        self.steps: list[tuple[Callable, tuple[int, ...]]] = []
        self._index: dict[sp.Expr, int] = {}
        self.outputs = [self._add(e) for e in exprs]
        self._point: dict = {}
        # decide(c) for step i: the exact sign of (its node's first argument − c) at the point
        # being evaluated — the argument whose ball touched the operation's singular point
        self.deciders = [functools.partial(self._decide, node.args[0] if node.args else node)
                         for node in self.nodes]

    def _decide(self, node: sp.Expr, c: int) -> int:
        return exact_sign(node.xreplace(self._point) - c)

    def _add(self, node: sp.Expr) -> int:
        if node in self._index:
            return self._index[node]
        children = () if node.is_Atom else tuple(self._add(a) for a in node.args)
        self._index[node] = len(self.nodes)
        self.nodes.append(node)
        self.steps.append((self._operation(node), children))
        return self._index[node]

    def _operation(self, node: sp.Expr) -> Callable:
        if node.is_Symbol:
            if node not in self.symbols:
                raise ValueError(f"{node} has no value")
            return lambda inputs, decide: inputs[node]
        if node.is_Number or isinstance(node, sp.Float):
            if not node.is_finite:
                raise Singular(f"the constant {node}")
            return lambda inputs, decide: _exact_ball(node)
        if node in CONSTANTS:
            return lambda inputs, decide, make=CONSTANTS[node]: make()
        if node.is_Add:
            return lambda inputs, decide, *terms: sum(terms[1:], terms[0])
        if node.is_Mul:
            return _product
        if node.is_Pow:
            exponent = node.exp if node.exp.is_Rational else None
            return lambda inputs, decide, b, e: _power(b, exponent, e, decide)
        if isinstance(node, LogSumExp):
            return lambda inputs, decide, *z: _log(sum((v.exp() for v in z[1:]), z[0].exp()), decide)
        if isinstance(node, sp.Max | sp.Min):
            pick = "max" if isinstance(node, sp.Max) else "min"
            return lambda inputs, decide, *a: functools.reduce(lambda p, q: getattr(p, pick)(q), a)
        for kind, op in FUNCTIONS.items():
            if isinstance(node, kind):
                return lambda inputs, decide, *a, op=op: op(*a[:1], decide, *a[1:])
        raise NotImplementedError(f"no enclosure for {type(node).__name__}")

    def run(self, inputs: dict, point: dict) -> list[arb]:
        """The balls at the current precision; inputs: symbol → ball, point: symbol → exact."""
        outer, self._point = self._point, point
        try:
            values: list[arb | Huge] = []
            for node, decide, (op, children) in zip(self.nodes, self.deciders, self.steps,
                                                     strict=True):
                args = [values[i] for i in children]
                if any(isinstance(a, Huge) for a in args):
                    values.append(astronomic.apply(node, args))
                else:
                    values.append(op(inputs, decide, *args))
            return [values[i] for i in self.outputs]
        finally:
            self._point = outer

    def evaluate(self, point: dict, bits: int) -> list[arb]:
        """Balls containing each expression's exact value at `point` (symbol → exact SymPy
        number), computed with `bits` of precision."""
        saved = ctx.prec
        ctx.prec = bits
        try:
            return self.run({s: ball_of(point[s]) for s in self.symbols}, point)
        finally:
            ctx.prec = saved


def _product(inputs, decide, *factors):
    result = factors[0]
    for f in factors[1:]:
        result = result * f
    return result


@functools.lru_cache(maxsize=2048)
def compiled(exprs: tuple, symbols: tuple) -> Program:
    """The Program of `exprs` (a tuple of SymPy expressions) in `symbols` (cached)."""
    return Program(exprs, symbols)


@functools.lru_cache(maxsize=8192)
def exact_sign(value: sp.Expr) -> int:
    """−1, 0 or +1: the sign of the exact SymPy number `value`, decided exactly; `Undecided`
    when neither an enclosure at up to SIGN_BITS[-1] bits nor SymPy's simplify settles it."""
    value = sp.sympify(value, strict=True)  # numbers only: text is never parsed here
    if value.is_Rational or isinstance(value, sp.Float):
        return int(sp.sign(value))
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise Singular(f"{value} is not a finite number")
    program = compiled((value,), ())
    for i, bits in enumerate(SIGN_BITS):
        try:
            (ball,) = program.evaluate({}, bits)
        except NeedsPrecision:
            continue
        if isinstance(ball, Huge):
            return ball.sign
        if ball > 0:
            return 1
        if ball < 0:
            return -1
        if ball.is_zero():  # a ball of zero width: computed exactly
            return 0
        if i == 1 and _proved_zero(value):  # an exact zero never separates: try a proof early
            return 0
    if _proved_zero(value):
        return 0
    raise Undecided(f"whether {_short(value)} is exactly 0")


def _proved_zero(value: sp.Expr) -> bool:
    try:
        with budget(PROOF_SECONDS, "proving a number is 0"):
            return value.is_zero is True or sp.simplify(value) == 0
    except OverBudget:
        return False


def _short(value: sp.Expr) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"
