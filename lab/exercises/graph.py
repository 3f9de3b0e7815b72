"""The lecture's computation graph e = (a + b)·(b + 1), at a = 2, b = 1: e = 6, ∂e/∂a = b + 1 = 2,
∂e/∂b = (b + 1) + (a + b) = 5 (b reaches e along two paths, and their contributions add)."""

from __future__ import annotations

import numpy as np

from lab.core.cases import Case, ClosedForm, Function, symbols

SOURCE = "lecture 'Computation Graph and Derivatives'"
POINT = np.array([2.0, 1.0])


def graph(v):
    """e = (a + b)(b + 1) for v = (a, b)."""
    a, b = v[0], v[1]
    return (a + b) * (b + 1)


def cases() -> list[Case]:
    a, b = symbols("v", 2)
    fn = Function("e = (a + b)(b + 1)", graph((a, b)), (a, b), graph)  # the program, on symbols
    form = ClosedForm("(b + 1, a + 2b + 1)", lambda v: np.array([v[1] + 1, v[0] + 2 * v[1] + 1]))
    points = np.array([POINT, [-1.5, 0.25], [3.0, -2.0]])
    return [Case("graph", fn, "gradient", points, closed_forms=(form,), source=SOURCE)]
