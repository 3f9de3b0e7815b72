"""Time budgets: a computation that runs past its budget raises `OverBudget` instead of hanging.

SymPy and mpmath are pure Python, so a SIGALRM timer interrupts them between bytecodes. Timers work
only in the main thread; elsewhere (a worker thread) the budget is not enforced. When the alarm lands
inside a callback whose exceptions Python ignores (a garbage-collection hook of JAX's), it is
re-raised when the body ends, so an expired budget never passes silently; and it fires again every
50 ms until the body gives up, since some library code swallows every exception (`except:`).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class OverBudget(BaseException):
    """The computation did not finish within its time budget. A BaseException, like
    KeyboardInterrupt, so that library code catching `Exception` (SymPy does) cannot swallow it."""


@contextmanager
def budget(seconds: float | None, what: str = "the computation") -> Iterator[None]:
    """Run the body with at most `seconds` of wall time (None or ≤ 0: no limit)."""
    if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    message = f"{what} took longer than {seconds:g} s"
    expired = []

    def expire(signum, frame):
        expired.append(True)
        # Fire again soon: some library code catches every exception with a bare `except:`.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        raise OverBudget(message)

    def unraisable(info):  # an alarm swallowed by a callback: re-raised below, not printed
        if not isinstance(info.exc_value, OverBudget):
            previous_hook(info)

    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable
    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.getitimer(signal.ITIMER_REAL)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer else seconds)
    try:
        yield
        if expired:
            raise OverBudget(message)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = previous_hook
        if outer:  # an enclosing budget was running: give it back what it has left
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3))
