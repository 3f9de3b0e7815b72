"""Ray for one `lab sd safety --engine ray` run: a local instance started here (at most 2 CPUs, no
dashboard, workers' logs kept off the terminal, a temporary folder removed afterwards), or a
cluster joined by address. A session already running in this process (a notebook, the tests) is
used as it is and left running."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from urllib.parse import urlsplit

from lab.diffusion.modelfolder import reason
from lab.errors import LabError
from lab.output.quiet import native_stderr_silenced
from lab.output.terminal import printable

LOCAL_CPUS = 2
# Ray keeps retrying an address where nothing answers for minutes; a plain TCP connection says
# within seconds whether anything listens there at all.
CONNECT_TIMEOUT_S = 10.0
RAY_CLIENT_PORT = 10001


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
    try:
        socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as e:
        why = "no answer" if isinstance(e, TimeoutError) else (e.strerror or type(e).__name__)
        raise LabError(f"{shown}: cannot reach {printable(parts.hostname)}:{port} ({why})") from None


class RaySession:
    """Ray for one run, started only when there is work for it. `close()` shuts down only what
    this object started."""

    def __init__(self, address: str | None):
        self.address, self.started, self.temp = address, False, None

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
        try:
            with native_stderr_silenced(quiet):  # the one line saying the level was set, at start-up
                if self.address is None:
                    # A short path: Ray's sockets live under it (socket paths are ~100 bytes at most).
                    self.temp = tempfile.mkdtemp(prefix="lab-ray-")
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
        self.started = True
        return ray

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


def quiet_ray_loggers() -> None:
    """Keep Ray's Python chatter (execution plans, 'progress bars disabled') off the terminal:
    progress and results are ours. Called after `import ray.data`, which sets these levels."""
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)


