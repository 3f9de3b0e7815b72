"""A user's program run on SymPy symbols, giving its exact expression: the single source of the
reference for `lab.Function`. The program gets, through `lab.namespace(x)`, a namespace whose
functions build SymPy expressions, elementwise over numpy arrays of symbols (dtype object). A
program whose control flow depends on a value (`if x > 0:`) cannot be traced: `Untraceable` names
the line.
"""

from __future__ import annotations

import functools
import linecache
import traceback
from types import SimpleNamespace

import numpy as np
import sympy as sp

from lab.errors import LabError


class Untraceable(LabError):
    """The program cannot be run on symbols (it branches on a value, or uses what SymPy lacks)."""


def is_symbolic(x) -> bool:
    """Whether x is a SymPy expression or an object array of them."""
    return isinstance(x, sp.Basic) or (isinstance(x, np.ndarray) and x.dtype == object)


def _elementwise(fn):
    vectorized = np.vectorize(fn, otypes=[object])

    @functools.wraps(fn)
    def call(x, *rest):
        if rest:
            if any(map(_is_array, (x, *rest))):
                return np.vectorize(fn, otypes=[object])(x, *rest)
            return fn(x, *rest)
        return vectorized(x) if _is_array(x) else fn(x)

    return call


def _is_array(x) -> bool:
    return isinstance(x, np.ndarray)


def _reduce(op):
    def call(x, axis=None, **_):
        items = np.asarray(x, dtype=object)
        if axis is None:
            return op(*items.ravel().tolist())
        return np.apply_along_axis(lambda v: op(*v.tolist()), axis, items)

    return call


def _logaddexp(a, b):
    return sp.log(sp.exp(a) + sp.exp(b))


NAMESPACE = SimpleNamespace(
    exp=_elementwise(sp.exp), log=_elementwise(sp.log), log1p=_elementwise(lambda v: sp.log(1 + v)),
    expm1=_elementwise(lambda v: sp.exp(v) - 1), sqrt=_elementwise(sp.sqrt), sin=_elementwise(sp.sin),
    cos=_elementwise(sp.cos), tan=_elementwise(sp.tan), sinh=_elementwise(sp.sinh),
    cosh=_elementwise(sp.cosh), tanh=_elementwise(sp.tanh), asin=_elementwise(sp.asin),
    acos=_elementwise(sp.acos), atan=_elementwise(sp.atan), arcsin=_elementwise(sp.asin),
    arccos=_elementwise(sp.acos), arctan=_elementwise(sp.atan), asinh=_elementwise(sp.asinh),
    acosh=_elementwise(sp.acosh), atanh=_elementwise(sp.atanh), abs=_elementwise(sp.Abs),
    sign=_elementwise(sp.sign), erf=_elementwise(sp.erf), maximum=_elementwise(sp.Max),
    minimum=_elementwise(sp.Min), logaddexp=_elementwise(_logaddexp), square=_elementwise(lambda v: v**2),
    sum=_reduce(sp.Add), prod=_reduce(sp.Mul), max=_reduce(sp.Max), min=_reduce(sp.Min),
    asarray=lambda x, **_: np.asarray(x, dtype=object) if np.ndim(x) else sp.sympify(x, strict=True),
    pi=sp.pi, e=sp.E, float64=object,
)


def expression_of(program, variables: tuple[sp.Symbol, ...], vector: bool) -> sp.Expr:
    """program's exact expression: program(x) for the symbol x (one variable, elementwise) or for
    the object array of `variables` (a point of several)."""
    x = np.array(variables, dtype=object) if vector else variables[0]
    try:
        out = program(x)
    except TypeError as e:
        if "truth value" not in str(e) and "cannot determine" not in str(e):
            raise Untraceable(f"the program could not run on symbols: {e}") from None
        raise Untraceable(f"the program branches on a value at {_user_line(e)}: write it without "
                          "value-dependent control flow (use xp.maximum, xp.where-free forms)") from None
    except (AttributeError, NotImplementedError) as e:
        raise Untraceable(f"the program could not run on symbols: {e} (at {_user_line(e)})") from None
    out = np.asarray(out, dtype=object)
    if out.size != 1:
        raise Untraceable(f"the program returns {out.size} values; it must return one number")
    try:
        return sp.sympify(out.ravel()[0], strict=True)  # a number or expression, never text
    except sp.SympifyError:
        raise Untraceable(f"the program returns {type(out.ravel()[0]).__name__}, not a number") from None


def _user_line(error: BaseException) -> str:
    """file:line (code) of the innermost frame outside SymPy, numpy and this module."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if "sympy" not in f.filename and "numpy" not in f.filename and f.filename != __file__]
    if not frames:
        return "an unknown line"
    f = frames[-1]
    code = (f.line or linecache.getline(f.filename, f.lineno)).strip()
    return f"{f.filename}:{f.lineno} ({code})"
