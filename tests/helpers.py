"""Helpers shared by the tests."""

from __future__ import annotations

import os

SCALE = {"ci": 1, "thorough": 10}[os.environ.get("LAB_HYPOTHESIS_PROFILE", "ci")]


def examples(n: int) -> int:
    """A test's number of hypothesis examples under the active profile."""
    return n * SCALE


def describe(rows) -> str:
    """The rows that are not as expected, one line each, for assertion messages."""
    return "\n".join(f"{r.case} {r.backend}.{r.variant} order {r.order}: {r.verdict} "
                     f"ρ={r.max_error} tol={r.tolerance} {r.detail}" for r in rows if not r.ok)

# `lab diff` arguments for tests that check verdicts, not speed: compiling backends (torch.compile,
# tf.function, CasADi's gcc) can pass the default 10 s budget on a loaded two-core machine.
UNHURRIED = ["--timeout", "300"]
