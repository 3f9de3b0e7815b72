"""The gradbench evals the lab speaks, `hello`, `lse` and `llsq`: an `evaluate` message's module,
function and input read into a `Request` (the lab's `Function`, what to compute of it, the point,
how many runs), or refused with a one-line reason. The tool and the log checker share it.

The inputs, as gradbench's evals document them:
  hello  square(x) = x², double(x) = 2x (the gradient of square); the input is one number
  lse    {"x": number[], "min_runs", "min_seconds"}; primal → number, gradient → number[]
  llsq   {"x": number[], "n": int, "min_runs", "min_seconds"}; primal → number, gradient → number[]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from lab.core.cases import Function
from lab.exercises.gradbench import llsq_function, lse_function, square_function

# module → function → what the function computes of the module's mathematical function
MODULES: dict[str, dict[str, Literal["value", "gradient"]]] = {
    "hello": {"square": "value", "double": "gradient"},
    "lse": {"primal": "value", "gradient": "gradient"},
    "llsq": {"primal": "value", "gradient": "gradient"},
}
# Bounds on what one message may ask, so that no input makes the tool run or allocate without end.
MAX_RUNS = 1_000_000
MAX_SECONDS = 3600.0
MAX_LENGTH = 10**8


class BadInput(ValueError):
    """The message cannot be evaluated as it stands; the text says why, in one line."""


@dataclass(frozen=True)
class Runs:
    """gradbench's `Runs`: run at least `min_runs` times and until `min_seconds` have passed."""

    min_runs: int = 1
    min_seconds: float = 0.0


@dataclass(frozen=True)
class Request:
    """One `evaluate` message understood.

    kind: "value" (the function) or "gradient"; x: the point (float64, 1-D); scalar: whether input
    and output are single numbers (hello) rather than lists; size: how many terms the exact
    reference's expression has (len(x), or n·m for llsq), which is what its cost grows with.
    """

    module: str
    function: str
    fn: Function
    kind: Literal["value", "gradient"]
    x: np.ndarray
    runs: Runs
    scalar: bool
    size: int

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the values: () for a value, (len(x),) for a gradient."""
        return () if self.kind == "value" else self.x.shape

    def encode(self, values: np.ndarray) -> float | list[float]:
        """The output as gradbench expects it: a number, or a list of numbers."""
        values = np.asarray(values, dtype=np.float64).reshape(self.shape)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise BadInput(f"the output is not finite ({values.flat[bad[0]]} at entry {bad[0]}); "
                           "JSON cannot carry it")
        if self.kind == "value" or self.scalar:
            return float(values.reshape(-1)[0])
        return values.tolist()

    def decode(self, output: Any) -> np.ndarray:
        """A tool's output as values of `shape`, or BadInput saying what is wrong with it."""
        if self.kind == "value" or self.scalar:
            return np.asarray(_number(output, "the output")).reshape(self.shape)
        if not isinstance(output, list) or len(output) != self.x.size:
            got = f"a list of {len(output)}" if isinstance(output, list) else type(output).__name__
            raise BadInput(f"the output should be a list of {self.x.size} numbers, got {got}")
        return _vector(output, "the output", finite=False)


def request(module: Any, function: Any, payload: Any) -> Request:
    """The `Request` an evaluate message makes, or BadInput saying why there is none."""
    if not isinstance(module, str) or module not in MODULES:
        raise BadInput(f"unknown module {module!r:.60}; lab speaks {', '.join(MODULES)}")
    if not isinstance(function, str) or function not in MODULES[module]:
        raise BadInput(f"module {module} has no function {function!r:.60}; it has "
                       f"{', '.join(MODULES[module])}")
    kind = MODULES[module][function]
    if module == "hello":
        x = np.array([_number(payload, "the input")])
        return Request(module, function, square_function(), kind, x, Runs(), True, 1)
    if not isinstance(payload, dict):
        raise BadInput(f"the input should be an object, got {type(payload).__name__}")
    x = _vector(_field(payload, "x"), "input.x")
    runs = Runs(_integer(_field(payload, "min_runs"), "input.min_runs", 0, MAX_RUNS),
                _seconds(_field(payload, "min_seconds")))
    if module == "lse":
        return Request(module, function, lse_function(x.size), kind, x, runs, False, x.size)
    n = _integer(_field(payload, "n"), "input.n", 2, MAX_LENGTH)
    return Request(module, function, llsq_function(n, x.size), kind, x, runs, False, n * x.size)


def _field(payload: dict, name: str) -> Any:
    if name not in payload:
        raise BadInput(f"input.{name} is missing")
    return payload[name]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any, where: str) -> float:
    if not _is_number(value):
        raise BadInput(f"{where} should be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise BadInput(f"{where} is not a finite float64 number")
    return number


def _vector(value: Any, where: str, finite: bool = True) -> np.ndarray:
    if not isinstance(value, list) or not value:
        raise BadInput(f"{where} should be a non-empty list of numbers")
    if len(value) > MAX_LENGTH:
        raise BadInput(f"{where} has {len(value)} entries; the most lab takes is {MAX_LENGTH}")
    wrong = next((i for i, v in enumerate(value) if not _is_number(v)), None)
    if wrong is not None:
        raise BadInput(f"{where}[{wrong}] should be a number, got {type(value[wrong]).__name__}")
    try:
        array = np.array(value, dtype=np.float64)
    except OverflowError:  # an integer beyond float64
        raise BadInput(f"{where} holds a number beyond float64's range") from None
    bad = np.flatnonzero(~np.isfinite(array))
    if finite and bad.size:
        raise BadInput(f"{where}[{bad[0]}] is not a finite float64 number")
    return array


def _integer(value: Any, where: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadInput(f"{where} should be an integer from {low} to {high}, got {value!r:.40}")
    return value


def _seconds(value: Any) -> float:
    seconds = _number(value, "input.min_seconds")
    if not 0 <= seconds <= MAX_SECONDS:
        raise BadInput(f"input.min_seconds should be from 0 to {MAX_SECONDS:g}, got {seconds:g}")
    return seconds
