"""lab: every derivative of a deep-learning course computed several ways and cross-checked.

The Python API (loaded on first use, so that `lab --help` answers at once):
  lab.diff(expr, at=..., order=1, wrt=None, backends=None, timeout=...)   k-th derivatives
  lab.gradient(expr, at=...), lab.hessian(expr, at=...), lab.directional(expr, direction, at=...)
  lab.check(exercises=None, backends=None)                                 the cross-check
  lab.Function(program, variables=("x",), closed_form=None)                your own program
  lab.namespace(x)                                                         the array API of x
Each returns a `lab.Result`; `lab.testing` has assertions and strategies for property tests.
"""

__version__ = "0.2.0"

_API = {"diff", "gradient", "hessian", "directional", "check", "Function", "close"}


def __getattr__(name: str):
    if name in _API:
        from lab import api

        return getattr(api, name)
    if name == "namespace":
        from lab.core.arrays import namespace

        return namespace
    if name == "Result":
        from lab.core.results import Result

        return Result
    raise AttributeError(f"module 'lab' has no attribute {name!r}")


__all__ = ["Function", "Result", "check", "close", "diff", "directional", "gradient", "hessian",
           "namespace"]
