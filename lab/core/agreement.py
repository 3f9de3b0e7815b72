"""Agreement of successive precisions: the truth of last resort for mpmath programs that have no
enclosure (the swell sweep differentiates a program with mpmath.diff).

Two evaluations agreeing is evidence, not a certificate — cancellation can fool both alike — so
the exact reference (`lab.core.reference`) does not use it; it encloses instead.
"""

from __future__ import annotations

import mpmath

DIGITS = (30, 60, 120, 240, 480, 960)
RELATIVE_AGREEMENT = mpmath.mpf(2) ** -64
ZERO_BELOW = mpmath.mpf(10) ** -40
ZERO_DIGITS = 240


class Uncertified(ArithmeticError):
    """The digits could not be certified."""


def _settled(a: mpmath.mpf, b: mpmath.mpf, digits: int) -> mpmath.mpf | None:
    """b if it agrees with a to 2⁻⁶⁴ relative; 0 if both are below 10⁻⁴⁰ and b was computed with
    more than ZERO_DIGITS digits; None if neither (climb on)."""
    if b != 0 and abs(a - b) <= RELATIVE_AGREEMENT * abs(b):
        return b
    if abs(a) <= ZERO_BELOW and abs(b) <= ZERO_BELOW:
        return mpmath.mpf(0) if digits > ZERO_DIGITS else None
    return None


def _flat(value) -> list[mpmath.mpf]:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [v for item in value for v in _flat(item)]
    return [mpmath.mpf(value)]


def certified(fn, args: list) -> tuple[list[mpmath.mpf], int]:
    """fn(*args, 0) at 30, 60, … 960 digits until two successive evaluations agree to 2⁻⁶⁴;
    (values, digits), or Uncertified."""
    previous = None
    for digits in DIGITS:
        with mpmath.workdps(digits):
            value = _flat(fn(*args, 0))
        if previous is not None:
            settled = [_settled(a, b, digits) for a, b in zip(previous, value, strict=True)]
            if all(v is not None for v in settled):
                return settled, digits
        previous = value
    raise Uncertified(f"two evaluations did not agree even at {DIGITS[-1]} digits")
