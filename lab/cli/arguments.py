"""What every command shares: a parser that fails in one line, and name validation."""

from __future__ import annotations

import argparse
import sys

from lab.errors import LabError
from lab.output.terminal import fail_line


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str):
        fail_line(f"{self.prog}: error: {message} (see --help)")
        sys.exit(2)


def check_names(given: list[str] | None, valid: list[str], what: str) -> None:
    """LabError naming every unknown name in `given` and listing the valid ones."""
    unknown = [n for n in given or [] if n not in valid]
    if unknown:
        raise LabError(f"unknown {what} {', '.join(map(repr, unknown))}; valid: {', '.join(valid)}")


MAX_SECONDS = 86_400.0  # a day: past it a limit is a typo, not a wish


def seconds(what: str):
    """An argparse type: a positive, finite number of seconds up to a day."""
    def read(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number of seconds, not {text!r}") from None
        if not 0 < value <= MAX_SECONDS:  # also refuses nan and inf
            raise argparse.ArgumentTypeError(f"{what} must be more than 0 and at most {MAX_SECONDS:g} s")
        return value

    return read


def _bounded(what: str, convert, low: float, high: float, unit: str):
    """An argparse type: `convert(text)` between low and high."""
    def read(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be {unit}, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be between {low:g} and {high:g}")
        return value

    return read


_jobs = _bounded("--jobs", int, 1, 64, "a whole number")
_gigabytes = _bounded("--memory", float, 0.25, 4096, "a number of GiB")


def add_worker_options(p: argparse.ArgumentParser, timeout: float) -> None:
    """The options of commands that run backends in worker processes (one per library)."""
    from lab.cache import cache_dir

    w = p.add_argument_group(
        "workers and limits",
        "Each library runs in a worker process of its own; a limit is enforced by ending the worker "
        "(the row says 'timeout' and names the phase), a worker that crashes gives an 'error' row, "
        "and the other rows go on. torch's inductor cache and JAX's compilation cache live in "
        f"{cache_dir('')} (set LAB_CACHE to move it; delete the folder to clear it), so a second "
        "run does not compile again.")
    w.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                   help="workers computing at once (default: the number of cores)")
    w.add_argument("--timeout", type=seconds("--timeout"), default=timeout, metavar="S",
                   help="seconds allowed to computing one backend's values, and to the exact "
                        "reference of one group of points (default: %(default)g)")
    w.add_argument("--compile-timeout", type=seconds("--compile-timeout"), default=300.0, metavar="S",
                   help="seconds allowed to a compiling backend's first call, which traces and "
                        "compiles (jax.jit, torch.compile, tf.function, CasADi's C) (default: %(default)g)")
    w.add_argument("--deadline", type=seconds("--deadline"), default=900.0, metavar="S",
                   help="seconds for the whole command; rows not done by then say 'timeout' "
                        "(default: %(default)g)")
    w.add_argument("--memory", type=_gigabytes, default=None, metavar="GIB",
                   help="resident memory allowed to one worker, in GiB; past it the worker is ended "
                        "and its row says 'error' (default: half the machine's memory over --jobs, "
                        "at least 2)")


def pool_of(args: argparse.Namespace):
    """The workers for a command, with the limits its options give: the process's warm workers
    (a command run from Python or a test reuses them; the `lab` process ends them at exit)."""
    from lab.workers import Limits
    from lab.workers.session import session

    memory = None if args.memory is None else int(args.memory * 1024**3)
    limits = Limits(compute=args.timeout, compile=args.compile_timeout, deadline=args.deadline,
                    memory=memory)
    return session(args.jobs, limits=limits)
