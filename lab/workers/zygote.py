"""The parent of a pool's workers: one fresh interpreter that imports what every worker needs
(numpy, SymPy, the lab's core and the worker loop; never torch, JAX or TensorFlow) and then forks a
worker per request, so that a worker starts in milliseconds instead of importing them again.

It computes nothing and runs one thread (the pool starts it with numpy's BLAS on one thread), so
forking it is safe; it never runs the user's script. A request carries two descriptors (the
worker's end of its socket, and the file its output goes to) and is answered with the worker's
pid; when a worker ends, the zygote reaps it and reports its exit status as `Popen.returncode`
would (a negative number for a signal). It ends when the command's process closes its socket, or
dies with it.

Lines it writes: "p PID" (a worker was forked), "x PID CODE" (a worker ended).
"""

from __future__ import annotations

import os
import select
import signal
import socket
import sys
import traceback

from lab.workers import worker


def _run_worker(control: socket.socket, wake: tuple[int, int], fds: list[int]) -> None:
    """In the forked child: become a worker on the socket fds[0], writing output to fds[1]."""
    code = 0
    try:
        control.close()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in wake:
            os.close(fd)
        sock, output = fds
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        worker.main(sock)
    except BaseException:  # noqa: BLE001 — whatever happens, the child must not return into the loop
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 — nothing may keep the child from exiting here
                pass
        os._exit(code)


def _returncode(status: int) -> int:
    """A wait status as Popen.returncode: the exit code, or minus the signal that ended it."""
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _reap(control: socket.socket) -> None:
    """Report every worker that has ended."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        control.sendall(f"x {pid} {_returncode(status)}\n".encode())


def main(fd: int) -> None:
    """Fork a worker for each request on the socket `fd` until it closes."""
    worker._die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to handle
    control = socket.socket(fileno=fd)
    wake = os.pipe()
    os.set_blocking(wake[1], False)
    signal.set_wakeup_fd(wake[1])
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that SIGCHLD writes to `wake`
    while True:
        readable, _, _ = select.select([control, wake[0]], [], [])
        if wake[0] in readable:
            os.read(wake[0], 512)
            _reap(control)
        if control not in readable:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, 2)
        except OSError:
            return
        if not message:  # the command's process closed the socket
            return
        if len(fds) != 2:
            for f in fds:
                os.close(f)
            continue
        pid = os.fork()
        if pid == 0:
            _run_worker(control, wake, fds)
        for f in fds:
            os.close(f)
        control.sendall(f"p {pid}\n".encode())


if __name__ == "__main__":
    main(int(sys.argv[1]))
