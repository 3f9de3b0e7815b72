"""The Python API: the same computations as `lab check` and `lab diff`, returning one `Result`.

    >>> import lab
    >>> r = lab.diff("x**3", at=[0.5, 2.0], backends=["tape", "jax.grad"])
    >>> r.ok, [row.verdict for row in r.rows]
    (True, ['agree', 'agree'])
    >>> r.row("tape.reverse").values.tolist()
    [0.75, 12.0]

Backends run in worker processes kept warm for the session (`lab.api.close()` ends them), so a
second call does not import its libraries again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import sympy as sp

from lab.check.asking import ask
from lab.check.crosscheck import SECONDS, Unit, in_workers
from lab.check.diff import MAX_POINTS, differentiate
from lab.check.exercises import check, labels_of
from lab.core.cases import Case, ClosedForm
from lab.core.cases import Function as _Case_Function
from lab.core.results import Result, Subject
from lab.core.traced import expression_of
from lab.errors import LabError
from lab.workers import Pool
from lab.workers.protocol import PickledCase
from lab.workers.session import close, session

TIMEOUT = 30.0


def pool(jobs: int | None = None, timeout: float | None = TIMEOUT) -> Pool:
    """The session's workers (started on demand, kept warm), with this call's limits."""
    return session(jobs, timeout)


class Function:
    """A function written once as a program against the array API — `xp = lab.namespace(x)` — as
    the course's exercises are. Every backend runs the program itself; its exact expression (for the
    certified reference) is what the program computes on SymPy symbols. With one variable the
    program is elementwise (x an array of points); with several it takes one point x = (x0, x1, …).

        >>> f = lab.Function(lambda x: lab.namespace(x).sin(x) * x, closed_form=lambda x:
        ...                  np.sin(x) + x * np.cos(x))

    `closed_form` (a hand-derived derivative program: the first derivative, or the gradient) is
    checked like a backend.
    """

    def __init__(self, program: Callable, variables: Sequence[str] = ("x",),
                 closed_form: Callable | None = None, name: str | None = None):
        if not callable(program):
            raise LabError("lab.Function needs a program: a function of the point")
        variables = tuple(variables)
        if not variables or len(set(variables)) != len(variables):
            raise LabError("lab.Function needs distinct variable names")
        self.program, self.closed_form = program, closed_form
        self.name = name or getattr(program, "__name__", "program")
        self.symbols = tuple(sp.Symbol(v, real=True) for v in variables)
        self.expr = expression_of(program, self.symbols, vector=len(variables) > 1)

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.symbols)

    def case(self, kind: str, points: np.ndarray, order: int) -> Case:
        """The case of `kind` at `points` (shape (m,) or (m, n)) this function defines."""
        forms = (ClosedForm("closed_form", self.closed_form, order),) if self.closed_form else ()
        function = _Case_Function(self.name, self.expr, self.symbols, self.program)
        return Case("function", function, kind, points, (order,), forms)

    def __repr__(self) -> str:
        return f"lab.Function({self.name}: {self.expr})"


def _at_text(at, variables: tuple[str, ...]) -> str:
    """`at` as the CLI writes points: a string as it is; numbers, sequences and mappings written
    with each float's shortest exact decimal."""
    if isinstance(at, str):
        return at
    if isinstance(at, dict):
        at = [at]
    items = list(np.atleast_1d(at).tolist()) if not isinstance(at, list | tuple) else list(at)
    if len(items) > MAX_POINTS:
        raise LabError(f"at gives {len(items)} points; at most {MAX_POINTS} are allowed")
    if all(isinstance(p, dict) for p in items):
        return ";".join(",".join(f"{k}={float(v)!r}" for k, v in p.items()) for p in items)
    if len(variables) > 1:  # sequences of coordinates in the variables' order
        return ";".join(",".join(f"{k}={float(v)!r}" for k, v in zip(variables, p, strict=True))
                        for p in items)
    return ",".join(repr(float(p)) for p in items)


def _labels(backends: Iterable[str] | None) -> list[str]:
    return labels_of(backends)


def _ask(expr, mode: str, at, order: int = 1, wrt: str | None = None, direction=None, backends=None,
         timeout: float | None = TIMEOUT, jobs: int | None = None) -> Result:
    if isinstance(expr, Function):
        return _ask_function(expr, mode, at, order, backends, timeout, jobs)
    if not isinstance(expr, str):
        raise LabError("expr must be an expression (text) or a lab.Function")
    parsed = _parsed_variables(expr)
    if direction is not None and not isinstance(direction, str):
        direction = _at_text(direction if isinstance(direction, dict) else [tuple(direction)], parsed)
    parsed_expr, subject, wrt_symbol, v = ask(expr, mode, wrt, order, _at_text(at, parsed), direction)
    return differentiate(expr, parsed_expr, subject, _labels(backends), pool(jobs, timeout), SECONDS,
                         wrt_symbol, v)


def _parsed_variables(expr: str) -> tuple[str, ...]:
    from lab.core.expression import ExpressionError, parse

    try:
        return tuple(v.name for v in parse(expr).variables)
    except ExpressionError as e:
        raise LabError(str(e)) from None


def _ask_function(f: Function, mode: str, at, order: int, backends, timeout, jobs) -> Result:
    if mode == "directional":
        raise LabError("lab.directional takes an expression; for a Function use lab.gradient")
    if mode == "derivative" and len(f.variables) > 1:
        raise LabError(f"{f.name} has {len(f.variables)} variables: use lab.gradient or lab.hessian")
    points = np.asarray(at, dtype=np.float64)
    points = points.reshape(-1) if mode == "derivative" else points.reshape(-1, len(f.variables))
    if not np.all(np.isfinite(points)) or not 1 <= len(points) <= MAX_POINTS:
        raise LabError(f"at must give 1 to {MAX_POINTS} finite points")
    kind = mode
    case = f.case(kind, points, order if mode == "derivative" else 1)
    named = ([{f.variables[0]: float(x)} for x in points] if points.ndim == 1
             else [dict(zip(f.variables, map(float, p), strict=True)) for p in points])
    wrt = f.variables[0] if mode == "derivative" else None
    subject = Subject(repr(f), mode, f.variables, named, str(f.expr), wrt=wrt, order=order)
    names = [subject.point_name(i) for i in range(len(points))]
    [done] = in_workers([Unit(case, PickledCase.of(case), names)], _labels(backends), pool(jobs, timeout),
                        closed_forms=True, seconds=SECONDS)
    ref = done.references[case.orders[0] if kind == "derivative" else (2 if kind == "hessian" else 1)]
    if ref.status != "reference":
        raise LabError(f"the exact reference failed: {ref.message}")
    return Result("diff", done.rows, subject, ref.reference)


def diff(expr, at=(0.5, 1.0, 2.0), order: int = 1, wrt: str | None = None, backends=None,
         timeout: float | None = TIMEOUT, jobs: int | None = None) -> Result:
    """The `order`-th derivative of `expr` (text in `lab diff`'s grammar, or a `lab.Function`) with
    respect to `wrt` at each point of `at`, by every backend (or those named), checked against the
    certified reference. `at`: numbers, a list, {"x": 1, "y": 2} or a list of those, or the CLI's
    text ("x=1,y=2;x=3,y=4"). `timeout` bounds computing one method's values (seconds)."""
    return _ask(expr, "derivative", at, order, wrt, None, backends, timeout, jobs)


def gradient(expr, at, backends=None, timeout: float | None = TIMEOUT, jobs: int | None = None) -> Result:
    """∇expr over all its variables at each point, by every backend, against the reference."""
    return _ask(expr, "gradient", at, backends=backends, timeout=timeout, jobs=jobs)


def hessian(expr, at, backends=None, timeout: float | None = TIMEOUT, jobs: int | None = None) -> Result:
    """∇²expr over all its variables at each point, by every backend, against the reference."""
    return _ask(expr, "hessian", at, backends=backends, timeout=timeout, jobs=jobs)


def directional(expr, direction, at, backends=None, timeout: float | None = TIMEOUT,
                jobs: int | None = None) -> Result:
    """D_v expr = d/dt expr(x + t·v) at t = 0 (∇expr·v where expr is differentiable) at each point."""
    return _ask(expr, "directional", at, direction=direction, backends=backends, timeout=timeout, jobs=jobs)


__all__ = ["Function", "check", "close", "diff", "directional", "gradient", "hessian", "pool"]
