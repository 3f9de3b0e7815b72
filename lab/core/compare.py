"""The error metric ρ, the tolerance policy and the verdicts.

ρ(x, y) = |x − y| / max(1, |x| + |y|) (gradbench's metric) never exceeds 1, so a tolerance of 0.5
or more would accept anything. Every method instead states the error it should reach at each value
(`expected` below, in units of ρ), computed from the point:
  exact / AD / complex step   ε·(κ + ROUNDING_ULPS), κ the value's condition (`lab.core.reference`)
                              and a few ulps of the method's own rounding (a formula with
                              cancelling terms loses them even where κ is 1)
  a stencil of accuracy O(hᵃ) (Σ|wⱼ| + 1)·ε^(a/(a+k))·max(1, |f|) / max(1, |f⁽ᵏ⁾|) + ε·κ: at the
                              step h = ε^(1/(a+k)) rounding contributes ε·|f|·Σ|wⱼ|/hᵏ
  an adaptive method          its own error estimate, relative to max(1, |f⁽ᵏ⁾|), + ε·κ
times the case's `tol_scale`. A value agrees when ρ ≤ SAFETY·expected. When the expected error
itself is above USEFUL (10⁻⁴) a check there proves nothing: the value is `inaccurate`, never
`agree`. So no tolerance exceeds SAFETY·USEFUL, which is 10⁻².
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lab.core.reference import Reference

EPS = float(np.finfo(np.float64).eps)
SAFETY = 100.0
USEFUL = 1e-4
ROUNDING_ULPS = 8.0
MAX_TOLERANCE = SAFETY * USEFUL

VERDICTS = ("agree", "disagree", "inaccurate", "undefined", "overflow", "unsupported", "timeout",
            "uncertified", "error")
# Verdicts that are honest outcomes, not failures of the lab or of a method that should work.
OK_VERDICTS = ("agree", "inaccurate", "undefined", "overflow", "unsupported")
# The one order in which verdicts combine, wherever several meet (the values of a row, the points of
# a point, the groups of `lab diff`): the first present wins. Failures first; then what was checked;
# then what could not be: values where the derivative is undefined or beyond float64 are skipped.
PRECEDENCE = ("error", "disagree", "timeout", "uncertified", "inaccurate", "agree", "unsupported",
              "overflow", "undefined")
_SKIPPED = ("undefined", "overflow")


def combined(verdicts) -> str:
    """The verdict several verdicts combine into: the first of PRECEDENCE among them."""
    present = set(verdicts)
    return next(v for v in PRECEDENCE if v in present)


def rho(expected: np.ndarray, got: np.ndarray) -> np.ndarray:
    """ρ = |x − y| / max(1, |x| + |y|), elementwise; inf where `got` is not finite."""
    with np.errstate(invalid="ignore", over="ignore"):
        r = np.abs(expected - got) / np.maximum(1.0, np.abs(expected) + np.abs(got))
    return np.where(np.isfinite(got), r, np.inf)


def rounding_error(ref: Reference) -> np.ndarray:
    """ε·(κ + ROUNDING_ULPS) per value: what a float64 method exact up to rounding should reach."""
    return EPS * (ref.condition + ROUNDING_ULPS)


def stencil_error(ref: Reference, weight_sum: float, accuracy: int, order: int) -> np.ndarray:
    """(Σ|w| + 1)·ε^(a/(a+k))·max(1, |f|) / max(1, |f⁽ᵏ⁾|) + ε·κ per value."""
    primal = _per_value(ref.primal, ref.values)
    with np.errstate(invalid="ignore"):
        derivative = np.maximum(1.0, np.nan_to_num(np.abs(ref.values), nan=1.0))
    return ((weight_sum + 1) * EPS ** (accuracy / (accuracy + order)) * primal / derivative
            + rounding_error(ref))


def estimated_error(ref: Reference, estimate: np.ndarray) -> np.ndarray:
    """A method's own error estimate in units of ρ, + ε·κ; nan estimates count as useless."""
    with np.errstate(invalid="ignore"):
        derivative = np.maximum(1.0, np.nan_to_num(np.abs(ref.values), nan=1.0))
        relative = np.abs(np.broadcast_to(estimate, ref.values.shape)) / derivative
    return np.where(np.isfinite(relative), relative, np.inf) + rounding_error(ref)


def primal_rounding(ref: Reference) -> np.ndarray:
    """ROUNDING_ULPS·ε·max(1, |f|) / max(1, |f⁽ᵏ⁾|) per value, in units of ρ: the rounding of the
    function values a difference quotient subtracts, relative to the derivative."""
    primal = _per_value(ref.primal, ref.values)
    with np.errstate(invalid="ignore"):
        derivative = np.maximum(1.0, np.nan_to_num(np.abs(ref.values), nan=1.0))
    return ROUNDING_ULPS * EPS * primal / derivative


def _per_value(per_point: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.broadcast_to(per_point.reshape(-1, *([1] * (values.ndim - 1))), values.shape)


@dataclass(frozen=True)
class Policy:
    """The error a method should reach, as data: a worker process states it beside the values it
    computed and the command's process applies it to the reference (`expected`).

    rounding  ε·(κ + ROUNDING_ULPS), or the method's own estimate when it gives one
    stencil   a stencil's rounding at its step (`stencil_error` with `weight_sum`, `accuracy`,
              `order`), plus its own estimate of truncation when it gives one
    adaptive  its own estimate, never below a central difference's (weights `weight_sum`)
    floored   its own estimate, never below the rounding of the function values it differences
    """

    kind: str = "rounding"
    weight_sum: float = 0.0
    accuracy: int = 0
    order: int = 1

    def expected(self, ref: Reference, estimate: np.ndarray | None = None) -> np.ndarray:
        """The expected error (units of ρ) at each value of `ref`."""
        own = None if estimate is None else estimated_error(ref, estimate)
        if self.kind == "rounding":
            return rounding_error(ref) if own is None else own
        if self.kind == "floored":
            floor = primal_rounding(ref) + rounding_error(ref)
            return floor if own is None else np.maximum(floor, own)
        rounding = stencil_error(ref, self.weight_sum, self.accuracy, self.order)
        if self.kind == "stencil":
            return rounding if own is None else rounding + own
        if self.kind == "adaptive":
            return rounding if own is None else np.maximum(rounding, own)
        raise ValueError(f"unknown tolerance policy {self.kind!r}")


ROUNDING = Policy()


@dataclass(frozen=True)
class Comparison:
    """One method's values against the reference: the row's verdict and the per-value detail."""

    verdict: str
    max_error: float | None
    tolerance: float | None
    detail: str
    errors: np.ndarray  # ρ per value (nan where not compared)
    value_verdicts: np.ndarray  # a verdict per value
    tolerances: np.ndarray  # the tolerance each value was held to (nan where none applied)


def compare(ref: Reference, got: np.ndarray, expected: np.ndarray,
            names: Sequence[str] | None = None) -> Comparison:
    """Verdicts of `got` against the reference, given the method's expected error per value;
    `names` name the points in the detail by their values ("x = -2"), else by index."""
    got = np.broadcast_to(np.asarray(got, dtype=np.float64), ref.values.shape)
    expected = np.broadcast_to(np.asarray(expected, dtype=np.float64), ref.values.shape)
    status = (ref.entry_status if getattr(ref, "entry_status", None) is not None
              else _per_value(ref.status, ref.values))
    exact = status == "exact"
    errors = np.where(exact, rho(np.where(exact, ref.values, 0.0), got), np.nan)
    tolerance = np.minimum(SAFETY * expected, MAX_TOLERANCE)
    verdicts = np.where(~exact, status, np.where(expected > USEFUL, "inaccurate",
                                                 np.where(errors <= tolerance, "agree", "disagree")))
    verdict = combined(verdicts.ravel().tolist()) if verdicts.size else "undefined"
    if verdict in _SKIPPED:
        return Comparison(verdict, None, None, _reason(ref, status, verdict, names), errors, verdicts,
                          np.full(errors.shape, np.nan))
    worst = tol_at_worst = None
    if exact.any():
        at = np.unravel_index(np.nanargmax(np.where(exact, np.nan_to_num(errors, posinf=2.0), np.nan)),
                              errors.shape)
        worst = float(errors[at])
        tol_at_worst = None if verdict == "inaccurate" else float(tolerance[at])
    detail = _detail(verdict, ref, got, errors, tolerance, expected, verdicts, status, names)
    held = np.where(np.isin(verdicts, ("agree", "disagree")), tolerance, np.nan)
    return Comparison(verdict, worst, tol_at_worst, detail, errors, verdicts, held)


def _where(index: tuple, names: Sequence[str] | None = None) -> str:
    point = names[index[0]] if names is not None else f"point {index[0]}"
    return point + (f", entry {index[1:]}" if len(index) > 1 else "")


def _reason(ref: Reference, status: np.ndarray, verdict: str, names: Sequence[str] | None = None) -> str:
    index = tuple(int(i) for i in np.argwhere(status == verdict)[0])
    return f"at {_where(index, names)}: {ref.reasons.get(index[0], verdict)}"


def _detail(verdict, ref, got, errors, tolerance, expected, verdicts, status, names) -> str:
    skipped = int(np.isin(verdicts, _SKIPPED).sum())
    note = f" ({skipped} value(s) where the derivative is undefined or beyond float64 skipped)" \
        if skipped else ""
    if verdict == "agree":
        return note.strip(" ()")
    if verdict in ("timeout", "uncertified"):
        return _reason(ref, status, verdict, names) + note
    index = tuple(int(i) for i in np.argwhere(verdicts == verdict)[0])
    shown = f"expected {ref.values[index]:.17g}, got {got[index]:.17g}, ρ = {errors[index]:.2e}"
    if verdict == "inaccurate":
        count = int((verdicts == "inaccurate").sum())
        return (f"{count} value(s) where this method cannot reach a useful accuracy: at "
                f"{_where(index, names)} its expected error is {expected[index]:.1e} (a check needs "
                f"≤ {USEFUL:.0e}; the point's condition κ = {ref.condition[index]:.1e}); {shown}{note}")
    return f"first bad value at {_where(index, names)}: {shown}, tolerance {tolerance[index]:.1e}{note}"
