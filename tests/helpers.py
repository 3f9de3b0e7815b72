"""Helpers shared by the tests."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable

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


# How long a test waits for a command it started to reach a point (Ray up, a part written): a guard
# against a hang, not a speed limit, so it is generous — on two cores beside busy processes a local
# Ray run took over 180 s to write its first part.
HANG_GUARD_S = 600.0


def wait_until(reached: Callable[[], bool], proc: subprocess.Popen, what: str,
               guard: float = HANG_GUARD_S) -> None:
    """Poll until `reached()`; fail, with the command's stderr, if `proc` ends first or the guard
    passes (the command is killed then, so its stderr can be read)."""
    end = time.monotonic() + guard
    while not reached():
        if proc.poll() is not None or time.monotonic() > end:
            proc.kill()
            proc.wait()
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise AssertionError(f"{what} did not happen (exit {proc.returncode}): {err}")
        time.sleep(0.1)
