"""For users' own property tests: an assertion that every backend agrees with the certified
reference, and hypothesis strategies for points where a function is defined.

    import lab
    from lab.testing import assert_derivatives_agree

    def test_my_gradient():
        f = lab.Function(lambda x: lab.namespace(x).tanh(x) * x,
                         closed_form=lambda x: np.tanh(x) + x / np.cosh(x) ** 2)
        assert_derivatives_agree(f, at=[-1.0, 0.5, 3.0], backends=["jax", "tape"])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from lab import api
from lab.core.results import Result, Row


def assert_derivatives_agree(fn, at, order: int = 1, backends: Sequence[str] | None = None,
                             closed_form: Callable | None = None,
                             timeout: float | None = api.TIMEOUT) -> Result:
    """Raise AssertionError unless every backend (and `closed_form`, when given) agrees with the
    certified reference at every point — gradcheck-style: the message names the backend, the point,
    the component, the expected and computed values, ρ and the tolerance. Honest outcomes pass
    (a derivative that is undefined, or a method that cannot compute it and says so). `fn`: an
    expression in `lab diff`'s grammar, or a `lab.Function` (several variables: its gradient)."""
    if closed_form is not None:
        if not isinstance(fn, api.Function):
            raise TypeError("closed_form needs fn to be a lab.Function")
        fn = api.Function(fn.program, fn.variables, closed_form=closed_form, name=fn.name)
    several = len(fn.variables) > 1 if isinstance(fn, api.Function) else False
    result = (api.gradient(fn, at, backends, timeout) if several and order == 1
              else api.hessian(fn, at, backends, timeout) if several
              else api.diff(fn, at, order, backends=backends, timeout=timeout))
    failures = result.failures()
    if failures:
        raise AssertionError("derivatives disagree:\n" + "\n".join(_explained(result, r) for r in failures))
    return result


def _explained(result: Result, row: Row) -> str:
    """One failing row as a gradcheck-style line."""
    c = row.comparison
    if c is None or row.values is None:
        return f"  {row.label}: {row.verdict}: {row.detail}"
    bad = np.argwhere(np.asarray(c.value_verdicts) == row.verdict)
    if not len(bad):
        return f"  {row.label}: {row.verdict}: {row.detail}"
    index = tuple(int(i) for i in bad[0])
    point = result.subject.point_name(index[0])
    component = f", component {index[1:]}" if len(index) > 1 else ""
    expected = result.reference.values[index]
    return (f"  {row.label} at {point}{component}: expected {expected:.17g}, got {row.values[index]:.17g}, "
            f"ρ = {c.errors[index]:.2e}, tolerance {c.tolerances[index]:.1e} [{row.verdict}]")


def points(fn, min_value: float = -10.0, max_value: float = 10.0, size: int = 3):
    """A hypothesis strategy: lists of `size` points (floats, or tuples for several variables)
    where `fn` (an expression or a `lab.Function`) is defined and finite, within the bounds."""
    import mpmath
    import sympy as sp
    from hypothesis import strategies as st

    expr, symbols = _exact(fn)
    value = sp.lambdify(symbols, expr, modules="mpmath")

    def defined(point) -> bool:
        try:
            v = value(*(mpmath.mpf(c) for c in np.atleast_1d(point)))
        except (ArithmeticError, ValueError, TypeError):
            return False
        return isinstance(v, mpmath.mpf) and mpmath.isfinite(v) and abs(v) < 1e300

    coordinate = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)
    one = coordinate if len(symbols) == 1 else st.tuples(*[coordinate] * len(symbols))
    return st.lists(one.filter(defined), min_size=size, max_size=size)


def _exact(fn):
    if isinstance(fn, api.Function):
        return fn.expr, fn.symbols
    from lab.core.expression import parse

    parsed = parse(fn)
    return parsed.expr, parsed.variables


__all__ = ["assert_derivatives_agree", "points"]
