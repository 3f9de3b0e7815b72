"""Ray for one `lab sd safety --engine ray` run: a local instance started here (at most 2 CPUs, no
dashboard, workers' logs kept off the terminal, a temporary folder removed afterwards), or a
cluster joined by address. A session already running in this process (a notebook, the tests) is
used as it is and left running.

The temporary folder (`$TMPDIR/lab-ray-*`) holds a lock file, flocked while its run lives; a run
killed outright cannot remove its folder, so the next local start removes every such folder whose
lock nobody holds."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

from lab.diffusion.modelfolder import reason
from lab.errors import LabError
from lab.output.quiet import native_stderr_silenced
from lab.output.terminal import printable

LOCAL_CPUS = 2
# Ray keeps retrying an address where nothing answers, or where something that is not Ray
# answers, for minutes; a plain TCP connection says within seconds whether anything listens there,
# and an HTTP/2 greeting whether it speaks gRPC, as Ray's GCS and client server do.
CONNECT_TIMEOUT_S = 10.0
# The HTTP/2 client preface and an empty SETTINGS frame; a gRPC server's first frame in reply is
# its own SETTINGS (frame type 4, the fourth byte of the 9-byte frame header).
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
HTTP2_SETTINGS = 4
RAY_CLIENT_PORT = 10001
TEMP_PREFIX = "lab-ray-"
TEMP_LOCK = "lab.lock"


def check_address(address: str) -> None:
    """Refuse an --address that is not 'auto', host:port or ray://host[:port], or where nothing
    accepts a TCP connection, in one line; 'auto' is left to Ray (RAY_ADDRESS, or the cluster that
    `ray start` began on this machine)."""
    if address == "auto":
        return
    shown = f"--address {printable(address)}"
    parts = urlsplit(address if "://" in address else f"//{address}")
    try:
        port = parts.port or (RAY_CLIENT_PORT if parts.scheme == "ray" else None)
    except ValueError:  # a port that is not a number, or out of range
        port = None
    if parts.scheme not in ("", "ray") or not parts.hostname or port is None:
        raise LabError(f"{shown}: expected host:port (the head's GCS, e.g. 10.0.0.5:6379), "
                       "ray://host:10001 or auto")
    where = f"{printable(parts.hostname)}:{port}"
    try:
        connection = socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT_S)
    except OSError as e:
        why = "no answer" if isinstance(e, TimeoutError) else (e.strerror or type(e).__name__)
        raise LabError(f"{shown}: cannot reach {where} ({why})") from None
    with connection:
        why = _not_grpc(connection)
    if why:
        raise LabError(f"{shown}: {where} is not a Ray head ({why}): give the head's GCS "
                       "address (port 6379 by default) or ray://host:10001")


def _not_grpc(connection: socket.socket) -> str:
    """Why the server on `connection` is not a gRPC server ('' when it is one): it must answer an
    HTTP/2 greeting with a SETTINGS frame within CONNECT_TIMEOUT_S."""
    head = b""
    try:
        connection.sendall(HTTP2_PREFACE)
        while len(head) < 9:
            chunk = connection.recv(9 - len(head))
            if not chunk:
                return "it closed the connection without speaking gRPC"
            head += chunk
    except TimeoutError:
        return f"no gRPC answer within {CONNECT_TIMEOUT_S:g} s"
    except OSError as e:
        return e.strerror or type(e).__name__
    return "" if head[3] == HTTP2_SETTINGS else "it does not speak gRPC"


class RaySession:
    """Ray for one run, started only when there is work for it. `close()` shuts down only what
    this object started."""

    def __init__(self, address: str | None):
        self.address, self.started, self.temp, self.lock = address, False, None, None

    def ensure(self):
        """The ray module, connected: to --address, to a session already running in this process,
        or to a fresh local one."""
        import ray

        if ray.is_initialized() or self.started:
            return ray
        quiet = "RAY_BACKEND_LOG_LEVEL" not in os.environ  # unless the user asks for Ray's logs
        if quiet:
            # Ray's C++ side writes warnings straight to stderr (one for every actor pool whose
            # actors may restart, which ours may); errors still arrive as Python exceptions.
            os.environ["RAY_BACKEND_LOG_LEVEL"] = "fatal"
        sigterm = signal.getsignal(signal.SIGTERM)
        try:
            with native_stderr_silenced(quiet):  # the one line saying the level was set, at start-up
                if self.address is None:
                    self._make_temp()
                    # "local": a new instance even when RAY_ADDRESS or a `ray start` here names one.
                    ray.init(address="local", num_cpus=min(LOCAL_CPUS, os.cpu_count() or 1),
                             include_dashboard=False, log_to_driver=False,
                             logging_level=logging.ERROR, _temp_dir=self.temp)
                else:
                    check_address(self.address)
                    ray.init(address=self.address, log_to_driver=False, logging_level=logging.ERROR)
        except Exception as e:  # noqa: BLE001 — ConnectionError, RuntimeError, ValueError: one line
            self.close()
            where = f"--address {printable(self.address)}" if self.address else "a local Ray"
            raise LabError(f"{where}: Ray could not start or connect ({reason(e)})") from None
        finally:
            # ray.init installs its own SIGTERM handler (sys.exit mid-call, which ends in a C++
            # abort): put back the one the command runs with.
            if sigterm is not None and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, sigterm)
        self.started = True
        return ray

    def _make_temp(self) -> None:
        """A fresh temporary folder for Ray, locked for as long as this process holds it, after
        removing those that runs killed before they could."""
        remove_stale_temps()
        # A short path: Ray's sockets live under it (socket paths are ~100 bytes at most).
        self.temp = tempfile.mkdtemp(prefix=TEMP_PREFIX)
        # Locked under another name, then renamed: no other run ever sees the lock file unlocked.
        hidden = os.path.join(self.temp, f".{TEMP_LOCK}")
        self.lock = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        os.rename(hidden, os.path.join(self.temp, TEMP_LOCK))

    def _cluster(self) -> dict | None:
        """The resources of the Ray this run uses: the cluster at --address (joined now), or the
        one already running in this process; None when a local one is still to start."""
        import ray

        if self.address is not None:
            self.ensure()
        return ray.cluster_resources() if ray.is_initialized() else None

    def gpus(self, device: str) -> int:
        """GPUs the checker may use: none for --device cpu; else the cluster's or, before a local
        start, those torch sees here (which Ray's start detects too)."""
        if device == "cpu":
            return 0
        cluster = self._cluster()
        if cluster is not None:
            count = int(cluster.get("GPU", 0))
        else:
            import torch

            count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if device == "cuda" and not count:
            raise LabError("--device cuda: the Ray cluster has no GPU" if self.address
                           else "--device cuda: no CUDA device is available here")
        return count

    def cpus(self) -> int:
        """The CPUs Ray has, or will have once started here."""
        cluster = self._cluster()
        if cluster is not None:
            return max(1, int(cluster.get("CPU", 1)))
        return min(LOCAL_CPUS, os.cpu_count() or 1)

    def close(self) -> None:
        """Shut down the session this object started, and remove its temporary folder."""
        if self.started:
            import ray

            ray.shutdown()
            self.started = False
        if self.temp:
            shutil.rmtree(self.temp, ignore_errors=True)
            self.temp = None
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None


def remove_stale_temps(parent: str | None = None) -> list[Path]:
    """Remove the temporary folders of local runs that ended without removing them (killed):
    this user's `lab-ray-*` folders under parent (the temporary folder) whose lock file is there
    and held by no one. Folders without the lock file are not lab's to remove. Returns those
    removed."""
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        try:
            if folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
            fd = os.open(folder / TEMP_LOCK, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a run still going
        finally:
            os.close(fd)  # the folder goes next: no one can take its lock again
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def quiet_ray_loggers() -> None:
    """Keep Ray's Python chatter (execution plans, 'progress bars disabled') off the terminal:
    progress and results are ours. Called after `import ray.data`, which sets these levels."""
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)


