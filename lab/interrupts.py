"""Ctrl-C that always ends the run. Python raises KeyboardInterrupt wherever the main thread is;
when that is inside a callback whose exceptions are ignored (a garbage-collection hook of JAX's),
the interrupt would be lost and the run would finish as if nothing happened. So the handler also
records the request, and `checkpoint()` — called between units of work (each progress step, before
an output folder is swapped into place) — raises it again."""

from __future__ import annotations

import signal
import sys
import threading

_requested = threading.Event()


def _handler(signum, frame):
    _requested.set()
    raise KeyboardInterrupt


def _unraisable(previous):
    def hook(info):
        if not isinstance(info.exc_value, KeyboardInterrupt):  # recorded: checkpoint() re-raises
            previous(info)

    return hook


def install() -> None:
    """Handle SIGINT (and SIGTERM, alike) as described above (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handler)
        signal.signal(signal.SIGTERM, _handler)
        sys.unraisablehook = _unraisable(sys.unraisablehook)


def requested() -> bool:
    """Whether Ctrl-C was pressed during this run."""
    return _requested.is_set()


def checkpoint() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed, even if its first raise was swallowed."""
    if _requested.is_set():
        raise KeyboardInterrupt
