"""What an exact evaluation can run into, besides a value."""

from __future__ import annotations


class Singular(ArithmeticError):
    """An operation at its singular point exactly: a division by 0, log 0, atanh ±1."""


class NotReal(ArithmeticError):
    """An operation outside its real domain: sqrt or log of a negative number."""


class NeedsPrecision(ArithmeticError):
    """A ball touches an operation's singular point that the exact value is not at, or a value
    is too large for the ball arithmetic at this precision: more bits."""


class Undecided(ArithmeticError):
    """Whether a number is exactly 0 (or on which side of it) could be neither proved nor refuted."""
