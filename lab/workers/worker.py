"""The worker process: receives `Task`s, answers with `Answer`s, one at a time.

Before each phase it tells the command's process which phase it enters, so that a limit that runs
out can be named ("timeout in compile"); the command's process enforces the limits by ending this
process, which is the only way to stop native code (an XLA or inductor compile, gcc, BLAS).
"""

from __future__ import annotations

import ctypes
import importlib
import os
import resource
import signal
import sys
import time
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from lab.core.cases import Case
from lab.workers.protocol import REFERENCE, Answer, Task

PR_SET_PDEATHSIG = 1
CASES_KEPT = 64


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the process that started it ends, even mid-computation."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the closed pipe ends an idle worker instead
        pass


def _configure(settings: dict) -> None:
    """The command's environment (a library reads it when imported: threads per worker, compile
    caches) and import path; and no warnings (the libraries' deprecation notices are not the
    user's business here)."""
    import warnings

    if "environ" in settings:
        os.environ.clear()
        os.environ.update(settings["environ"])
    sys.path[:] = settings.get("path", sys.path)
    warnings.simplefilter("ignore")


def peak_rss() -> int:
    """This process's peak resident memory so far, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Worker:
    """The state a worker keeps between tasks: imported backend modules and rebuilt cases."""

    def __init__(self, send: Callable[[tuple], None]):
        self.send = send
        self.modules: dict[str, object] = {}
        self.cases: OrderedDict[int, Case] = OrderedDict()  # the latest CASES_KEPT, for a warm worker

    def phase(self, task: Task, name: str) -> float:
        self.send(("phase", task.id, name))
        return time.monotonic()

    def answer(self, task: Task) -> Answer:
        seconds: dict[str, float] = {}
        phase = "import"
        try:
            if task.module and task.module not in self.modules:
                start = self.phase(task, "import")
                self.modules[task.module] = _imported(task.module)
                seconds["import"] = time.monotonic() - start
            phase = "prepare"
            if task.case_id not in self.cases:
                start = self.phase(task, "prepare")
                self.cases[task.case_id] = task.recipe.build()
                seconds["prepare"] = time.monotonic() - start
                while len(self.cases) > CASES_KEPT:
                    self.cases.popitem(last=False)
            case = self.cases[task.case_id]
            if task.label == REFERENCE:
                from lab.core.reference import reference

                start = self.phase(task, phase := "compute")
                ref = reference(case.function, case.kind, case.points, task.order, task.reference_seconds,
                                exact_points=getattr(task.recipe, "exact", None))
                seconds["compute"] = time.monotonic() - start
                return Answer(task.id, "reference", reference=ref, seconds=seconds, peak_rss=peak_rss())
            run, family, policy, compiles = self.method(task, case)
            with np.errstate(all="ignore"):  # overflow or 0/0 in a method is judged by its values
                if compiles:
                    start = self.phase(task, phase := "compile")
                    run()
                    seconds["compile"] = time.monotonic() - start
                start = self.phase(task, phase := "compute")
                values, estimate = run()
                seconds["compute"] = time.monotonic() - start
            return Answer(task.id, "values", values, estimate, policy, family, seconds=seconds,
                          peak_rss=peak_rss())
        except Exception as e:  # noqa: BLE001 — a failure is a result to report, not a crash
            from lab.errors import Unsupported

            status = "unsupported" if isinstance(e, Unsupported | _Missing) else "error"
            message = str(e) if status == "unsupported" else f"{type(e).__name__}: {e}".splitlines()[0]
            return Answer(task.id, status, message=message, phase=phase, seconds=seconds,
                          peak_rss=peak_rss())

    def method(self, task: Task, case: Case):
        """(run, family, policy, compiles) for the task's method on the case."""
        from lab.backends.base import compute
        from lab.core.compare import ROUNDING

        if task.label.startswith("closed_form."):
            name = task.label.removeprefix("closed_form.")
            form = next(f for f in case.closed_forms if f.name == name)
            return (lambda: (form.values_at(case), None)), "exact", ROUNDING, False
        method = next(m for m in self.modules[task.module].METHODS if m.label == task.label)
        return ((lambda: compute(method, case.kind, case.function, case.points, task.order)),
                method.family, method.policy(task.order), method.compiles)


class _Missing(Exception):
    """A library a backend needs is not installed (or cannot be imported)."""


def _imported(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        from lab.backends import install_hint

        raise _Missing(f"{e.name or e}: cannot be imported ({str(e).splitlines()[0]}); "
                       f"{install_hint(module)}") from None


def main(fd: int) -> None:
    """The worker's loop on the socket `fd`: its settings first, then one task at a time until the
    command's process closes the socket."""
    from multiprocessing.connection import Connection

    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to handle: it ends us
    conn = Connection(fd)
    try:
        _configure(conn.recv())
    except (EOFError, OSError):
        return
    worker = Worker(conn.send)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(("answer", worker.answer(task)))


if __name__ == "__main__":
    main(int(sys.argv[1]))
