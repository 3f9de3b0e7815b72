"""The command's side of the workers: which worker runs what, limits that hold, crashes contained.

Tasks are queued per worker group (one per library). At most `jobs` workers compute at once; each
group's tasks run in order in its own worker, so a library is imported once per command (or once per
Python session with `keep_warm`). A task's phase (import, prepare, compile, compute) past its limit,
or the whole run past its deadline, ends the worker: the task's answer is `timeout` naming the phase,
and the group's next task starts a fresh worker. A worker that dies (a signal, out of memory) gives
an `error` answer naming the signal; one whose resident memory passes the limit is ended the same way.
Answers come back in the tasks' order whatever the timing, so `jobs` never changes a result.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from lab.cache import cache_dir
from lab.workers.protocol import REFERENCE, Answer, Task

GiB = 1024**3
POLL = 0.1  # seconds between looks at memory and limits
FORK_TIMEOUT = 30.0  # seconds the zygote may take to fork a worker (its own start-up included)
REFERENCE_GRACE = 5.0  # past its own budget, the reference stops itself; this much more, it is ended
# Rough seconds per library, warm cache, quiet 2 cores: starting its worker (its imports and, for
# torch.compile, its first compile's warm-up; the interpreter itself is forked ready) and each task
# after. The longest remaining work starts first, so that no long worker is left running alone at
# the end (two cores: the order matters; a `lab diff` spent its last 3 s on torch.compile alone).
COST = {"torch": (1.1, 0.5), "torch.compile": (2.7, 0.25), "tensorflow": (2.9, 0.15),
        "jax": (0.8, 0.2), "casadi": (0.05, 0.1), "numdifftools": (0.2, 0.05),
        "reference": (0.05, 0.3)}  # exact arithmetic: a few points, a fraction of a second
DEFAULT_COST = (0.05, 0.05)
# With two cores or fewer every worker already waits for a CPU: torch.compile then runs in torch's
# worker, which saves importing torch a second time (≈ 1.3 s of CPU); with more cores its compiles
# run beside torch's other variants.
SHARED_WHEN_FEW_CORES = {"torch.compile": "torch"}


def remaining_work(queue: Iterable[Task], started: bool) -> float:
    """Rough seconds a worker still needs for the tasks in `queue`, already running or not."""
    queue = list(queue)
    start = 0.0 if started else max((COST.get(t.group, DEFAULT_COST)[0] for t in queue), default=0.0)
    return start + sum(COST.get(t.group, DEFAULT_COST)[1] for t in queue)


def cores() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def thread_variables(threads: int) -> dict[str, str]:
    """The environment that sets how many threads OpenMP and the BLAS libraries start."""
    return {name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}


def total_memory() -> int:
    """Physical memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def default_memory(jobs: int) -> int:
    """A worker's share of the machine: half the memory over the workers that run at once, at least
    2 GiB (torch.compile alone can take 1.7 GB)."""
    return max(2 * GiB, total_memory() // (2 * max(jobs, 1)))


@dataclass(frozen=True)
class Limits:
    """Seconds per phase (None: no limit), the whole run's deadline, and memory per worker."""

    compute: float | None = 30.0
    compile: float | None = 300.0
    imports: float | None = 180.0
    prepare: float | None = 60.0
    deadline: float | None = 900.0
    memory: int | None = None  # bytes; None: `default_memory(jobs)`

    def of(self, task: Task, phase: str) -> float | None:
        """The limit of `phase` for `task`."""
        if phase == "compute" and task.label == REFERENCE and task.reference_seconds:
            return task.reference_seconds + REFERENCE_GRACE
        return {"start": self.imports, "import": self.imports, "prepare": self.prepare,
                "compile": self.compile, "compute": self.compute}[phase]


@dataclass
class _Live:
    """A running worker process and what it is doing."""

    group: str
    process: subprocess.Popen
    conn: Connection
    task: Task | None = None
    phase: str = ""
    since: float = 0.0
    delayed_since: float = 0.0  # its run-queue delay when the phase began
    seconds: dict[str, float] = field(default_factory=dict)
    rss: int = 0
    stderr: object = None
    checked: float = 0.0  # when its process, memory and limits were last looked at

    def last_words(self) -> str:
        """The last line the process wrote to stderr, if any."""
        try:
            self.stderr.seek(0, os.SEEK_END)
            self.stderr.seek(max(0, self.stderr.tell() - 2000))
            text = self.stderr.read().decode(errors="replace")
            lines = [line for line in text.splitlines() if line.strip()]
        except (OSError, AttributeError, ValueError):
            return ""
        return lines[-1].strip()[:300] if lines else ""

    def begin(self, phase: str) -> None:
        """Start the clock of `phase`."""
        self.phase, self.since, self.delayed_since = phase, time.monotonic(), run_delay(self.process.pid)

    def phase_seconds(self) -> float:
        """How long the current phase has taken, less the time the worker was ready to run but
        waited for a CPU: on a busy machine a limit means what it means on a quiet one, while a
        worker blocked in native code (a sleep, a lock, I/O) is still ended at its limit."""
        waited = run_delay(self.process.pid) - self.delayed_since
        return time.monotonic() - self.since - max(0.0, waited)

    def resident(self) -> int:
        """Resident memory now, in bytes (0 once the process is gone)."""
        try:
            with open(f"/proc/{self.process.pid}/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0


def run_delay(pid: int) -> float:
    """Seconds process `pid`'s main thread has spent ready to run but waiting for a CPU (Linux's
    /proc/PID/schedstat); 0 where the kernel does not say."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def _signal_name(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def _kill(process: subprocess.Popen | _Forked) -> None:
    """End `process` and wait (a few seconds at most) until it is gone."""
    if process.poll() is None:
        process.kill()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        pass


class _Forked:
    """A worker the zygote forked: what the pool needs of a `subprocess.Popen`. It is the zygote's
    child, not ours, so its exit status comes from the zygote."""

    def __init__(self, zygote: _Zygote, pid: int):
        self.zygote, self.pid = zygote, pid

    @property
    def returncode(self) -> int | None:
        return self.zygote.ended.get(self.pid)

    def poll(self) -> int | None:
        self.zygote.hear(0.0)
        if self.returncode is None and not self.zygote.alive():
            self.zygote.ended[self.pid] = -signal.SIGKILL  # its parent died, and it with it
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self, timeout: float) -> int:
        end = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
            self.zygote.hear(min(0.05, max(0.0, end - time.monotonic())))
        return self.returncode


class _Zygote:
    """The client of `lab.workers.zygote`: a pre-imported interpreter that forks workers."""

    def __init__(self, environ: dict[str, str]):
        ours, theirs = socket.socketpair()
        # numpy's BLAS on one thread, so that the zygote runs no thread a fork would cut (its
        # workers' numpy keeps that one; torch, JAX and TF, imported later, read the worker's own).
        self.process = subprocess.Popen([sys.executable, "-m", "lab.workers.zygote", str(theirs.fileno())],
                                        pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        env={**environ, **thread_variables(1)})
        theirs.close()
        self.sock = ours
        self.ended: dict[int, int] = {}
        self._forked: list[int] = []
        self._buffer = b""

    def alive(self) -> bool:
        return self.process.poll() is None

    def hear(self, timeout: float) -> None:
        """Read what the zygote said within `timeout` seconds: workers forked and ended."""
        if self.sock.fileno() < 0 or not wait([self.sock], timeout):  # closed, or nothing said
            return
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:  # it died: every worker it forked died with it
            self.process.poll()
            return
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            kind, *numbers = line.split()
            if kind == b"p":  # a pid an ended worker had may be given again
                self._forked.append(int(numbers[0]))
                self.ended.pop(int(numbers[0]), None)
            elif kind == b"x":
                self.ended[int(numbers[0])] = int(numbers[1])

    def fork(self, sock: int, output: int, timeout: float) -> _Forked | None:
        """A worker on socket `sock` writing to `output`, or None if the zygote cannot give one
        within `timeout` seconds (the caller then starts an interpreter of its own)."""
        try:
            socket.send_fds(self.sock, [b"f"], [sock, output])
        except OSError:
            return None
        end = time.monotonic() + timeout
        while not self._forked:
            left = end - time.monotonic()
            if left <= 0 or not self.alive():
                self.close()
                return None
            self.hear(min(left, 0.5))
        return _Forked(self, self._forked.pop(0))

    def close(self) -> None:
        """End the zygote (the workers it forked die with it)."""
        self.sock.close()
        _kill(self.process)


class Pool:
    """Worker processes for one command, or for a Python session (`keep_warm`: idle workers stay
    until `close()`, so the next call does not import its libraries again).

    A worker is forked from the pool's zygote (`lab.workers.zygote`), a fresh interpreter that has
    imported numpy, SymPy and the worker loop and nothing more, so a worker starts without paying
    those imports again; the command's process is never forked (a process that runs JAX's or
    TensorFlow's threads cannot be forked safely), and multiprocessing's spawn would run the user's
    own script again in every worker. Where the zygote cannot fork, a worker is a fresh interpreter
    (`python -m lab.workers.worker`)."""

    def __init__(self, jobs: int | None = None, limits: Limits | None = None, keep_warm: bool = False):
        self.jobs = max(1, jobs or cores())
        self.limits = limits or Limits()
        self.keep_warm = keep_warm
        self._live: dict[str, _Live] = {}
        self._cases = 0
        self._zygote: _Zygote | None = None

    def _group(self, task: Task) -> str:
        """The worker that runs `task`: its library's, or with few cores a shared one."""
        return SHARED_WHEN_FEW_CORES.get(task.group, task.group) if self.jobs <= 2 else task.group

    def case_ids(self, n: int) -> range:
        """n case ids never used before in this pool (a warm worker keeps the cases it built)."""
        self._cases += n
        return range(self._cases - n, self._cases)

    # -- processes -------------------------------------------------------------------------------
    def _settings(self) -> dict:
        """What a worker starts with: this process's environment as it is now (a forked worker
        would otherwise see the zygote's, fixed when it started) with threads per worker and the
        compile caches set, and this process's import path."""
        environ = {**os.environ, **thread_variables(max(1, cores() // self.jobs)),
                   "TORCHINDUCTOR_CACHE_DIR": str(cache_dir("torch-inductor")),
                   "TRITON_CACHE_DIR": str(cache_dir("triton")),
                   "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
        return {"environ": environ, "path": list(sys.path)}

    def _start(self, group: str) -> _Live:
        ours, theirs = socket.socketpair()
        stderr = tempfile.TemporaryFile()  # the libraries' own chatter; its end explains a crash
        settings = self._settings()
        if self._zygote is None or not self._zygote.alive():
            self._zygote = _Zygote(settings["environ"])
        process = self._zygote.fork(theirs.fileno(), stderr.fileno(), FORK_TIMEOUT)
        if process is None:
            process = subprocess.Popen([sys.executable, "-m", "lab.workers.worker", str(theirs.fileno())],
                                       pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                       stdout=stderr, stderr=stderr)
        theirs.close()
        conn = Connection(ours.detach())
        conn.send(settings)
        live = _Live(group, process, conn, stderr=stderr)
        self._live[group] = live
        return live

    def _end(self, live: _Live) -> None:
        """End a worker now, whatever it is doing."""
        _kill(live.process)
        live.conn.close()
        if live.stderr is not None:
            live.stderr.close()
        self._live.pop(live.group, None)

    def _retire(self, live: _Live) -> None:
        """Let an idle worker finish by closing its pipe (it exits at once)."""
        try:
            live.conn.send(None)
        except OSError:
            pass
        self._end(live)

    def close(self) -> None:
        """End every worker, and the zygote."""
        for live in list(self._live.values()):
            self._retire(live)
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- running tasks ---------------------------------------------------------------------------
    def run(self, tasks: Iterable[Task], on_answer: Callable[[Answer], None] | None = None) -> list[Answer]:
        """Every task's answer, in the tasks' order."""
        tasks = list(tasks)
        queues: dict[str, deque[Task]] = {}
        for t in tasks:
            queues.setdefault(self._group(t), deque()).append(t)
        answers: dict[int, Answer] = {}
        failed_groups: dict[str, Answer] = {}
        deadline = None if not self.limits.deadline else time.monotonic() + self.limits.deadline
        memory = self.limits.memory or default_memory(self.jobs)

        def done(answer: Answer) -> None:
            answers[answer.id] = answer
            if on_answer:
                on_answer(answer)

        try:
            while queues or any(live.task for live in self._live.values()):
                now = time.monotonic()
                if deadline is not None and now > deadline:
                    self._past_deadline(queues, done)
                    break
                self._dispatch(queues, failed_groups, done)
                busy = [live for live in self._live.values() if live.task]
                if not busy:
                    continue
                wait([live.conn for live in busy], timeout=POLL)  # a worker's death closes its end
                for live in busy:
                    self._hear(live, done, failed_groups, memory)
                if not self.keep_warm:
                    for group in [g for g, live in self._live.items() if not live.task and g not in queues]:
                        self._retire(self._live[group])
        except BaseException:
            for live in list(self._live.values()):
                self._end(live)
            raise
        return [answers[t.id] for t in tasks]

    def _dispatch(self, queues: dict[str, deque[Task]], failed_groups: dict[str, Answer], done) -> None:
        """Give idle workers their group's next task, up to `jobs` at once, the most remaining
        work first."""
        for group in [g for g in queues if g in failed_groups]:  # its library could not be imported
            first = failed_groups[group]
            for task in queues.pop(group):
                done(Answer(task.id, first.status, message=first.message, phase=first.phase))
        free = self.jobs - sum(1 for live in self._live.values() if live.task)
        if free <= 0:
            return

        def work(g: str) -> float:
            live = self._live.get(g)
            return remaining_work(queues[g], live is not None and live.process.poll() is None)

        for group in sorted(queues, key=lambda g: -work(g)):
            live = self._live.get(group)
            if live and live.task:
                continue
            if free <= 0:
                return
            if live is None or live.process.poll() is not None:
                if live is not None:
                    self._end(live)
                live = self._start(group)
            task = queues[group].popleft()
            if not queues[group]:
                del queues[group]
            try:
                live.conn.send(task)
            except OSError:  # it died while idle: a fresh one takes the task
                self._end(live)
                live = self._start(group)
                live.conn.send(task)
            live.task, live.seconds, live.rss = task, {}, 0
            live.begin("start")
            free -= 1

    def _hear(self, live: _Live, done, failed_groups: dict[str, Answer], memory: int) -> None:
        """Read what a busy worker said, and end it if it died, ran past a limit or out of memory."""
        task = live.task
        closed = False
        try:
            while live.conn.poll():
                kind, *rest = live.conn.recv()
                if kind == "phase":
                    live.seconds[live.phase] = time.monotonic() - live.since
                    live.begin(rest[1])
                elif kind == "answer":
                    live.task = None
                    done(rest[0])
                    return
        except (EOFError, OSError):
            closed = True
        now = time.monotonic()
        if not closed and now - live.checked < POLL:  # its process, memory and clock: every POLL s
            return
        live.checked = now
        if live.process.poll() is not None:
            words = live.last_words()
            message = (f"{task.label}: its worker process died ({_signal_name(live.process.returncode)}) "
                       f"in the {live.phase} phase" + (f"; its last words: {words}" if words else ""))
            self._fail(live, Answer(task.id, "error", message=message, phase=live.phase,
                                    peak_rss=live.rss or None), done, failed_groups)
            return
        live.rss = max(live.rss, live.resident())
        if live.rss > memory:
            message = (f"{task.label}: its worker used {live.rss / GiB:.1f} GiB, past the memory limit "
                       f"of {memory / GiB:.1f} GiB per worker, in the {live.phase} phase; it was ended")
            self._fail(live, Answer(task.id, "error", message=message, phase=live.phase,
                                    peak_rss=live.rss), done, failed_groups)
            return
        limit = self.limits.of(task, live.phase)
        if limit is not None and live.phase_seconds() > limit:
            phase = "import" if live.phase == "start" else live.phase
            message = f"{task.label}: the {phase} phase took longer than {limit:g} s; its worker was ended"
            self._fail(live, Answer(task.id, "timeout", message=message, phase=phase,
                                    peak_rss=live.rss or None), done, failed_groups)

    def _fail(self, live: _Live, answer: Answer, done, failed_groups: dict[str, Answer]) -> None:
        self._end(live)
        live.task = None
        if answer.phase in ("start", "import"):  # every later task of the group would fail alike
            failed_groups[live.group] = answer
        done(answer)

    def _past_deadline(self, queues: dict[str, deque[Task]], done) -> None:
        message = f"the command's deadline of {self.limits.deadline:g} s passed"
        for live in list(self._live.values()):
            if live.task:
                task, phase = live.task, live.phase
                self._end(live)
                done(Answer(task.id, "timeout", message=f"{task.label}: {message} in its {phase} phase",
                            phase=phase))
        for group in list(queues):
            for task in queues.pop(group):
                done(Answer(task.id, "timeout", message=f"{task.label}: {message} before it ran",
                            phase="deadline"))
