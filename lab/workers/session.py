"""The workers of a Python session: started on demand, kept warm between calls (so a second
`lab.diff` does not import its libraries again), ended at exit or by `close()`."""

from __future__ import annotations

import atexit

from lab.workers.pool import Limits, Pool

_session: Pool | None = None


def session(jobs: int | None = None, timeout: float | None = 30.0, limits: Limits | None = None) -> Pool:
    """The session's workers, with this call's limits (`limits`, else the defaults with `timeout`
    on computing one method's values). A command run in this process uses them too, so a test
    suite that runs many commands imports each library once."""
    global _session
    if _session is None or (jobs and jobs != _session.jobs):
        close()
        _session = Pool(jobs, keep_warm=True)
        atexit.register(close)
    _session.limits = limits or Limits(compute=timeout)
    return _session


def close() -> None:
    """End the session's workers."""
    global _session
    if _session is not None:
        _session.close()
        _session = None
