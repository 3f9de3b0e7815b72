"""The exceptions every layer of `lab` may raise; the terminal layer (cli) turns them into lines."""

from __future__ import annotations


class LabError(Exception):
    """A user mistake or an unusable input: reported as one line, exit status 2."""


class Unsupported(Exception):
    """The method cannot compute this derivative; the message says why."""
