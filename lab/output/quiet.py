"""Keeping native libraries' own logging off the terminal."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced(silent: bool = True) -> Iterator[None]:
    """File descriptor 2 pointed at /dev/null for the block (when `silent`): C++ code — TensorFlow
    while it loads, the torch profiler at each start and stop, Ray while it starts — writes there
    directly, past Python's logging. Python exceptions still propagate as usual."""
    if not silent:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
