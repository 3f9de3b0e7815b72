"""`lab gradbench tool`: one of the lab's backends as a gradbench tool, speaking gradbench's protocol
(its CONTRIBUTING.md, "Protocol") as JSON lines on stdin and stdout, for the evals `hello`, `lse`
and `llsq` (`lab.interop.gradbench_evals`).

Each message gets exactly one response line carrying its id:
  start     the tool's name ("lab") and, in `config`, the backend variant answering
  define    success for a module the lab speaks; else failure, and the modules it does speak
  evaluate  the output and one "evaluate" timing (nanoseconds) per run, running at least `min_runs`
            times and until `min_seconds` have passed; a method that compiles is first called once
            more, timed apart as "warmup". Failure with a one-line reason when the input is not
            what the eval documents, the method cannot or raises, or one run takes over `timeout`.
  analysis  the id (an invalid verdict is also written to stderr, for whoever watches)
  end       the id, and the tool stops
A line that is not a JSON message, or a message of another kind, gets a response with an "error"
(and the message's id where it has one): never a traceback, never silence.

Derivatives come from the backend; values ("primal", "square") from the function's own array-API
program on numpy, in float64, for every backend.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lab.backends import Method, compute
from lab.core.budget import OverBudget, budget
from lab.errors import Unsupported
from lab.interop.gradbench_evals import MODULES, BadInput, Request, request

TOOL = "lab"
KINDS = ("start", "define", "evaluate", "analysis", "end")


class Malformed(ValueError):
    """A line that is not a message of the protocol; the text says why, in one line."""


def serve(method: Method, lines: Iterable[bytes | str], write: Callable[[str], None],
          timeout: float | None = None, version: str = "") -> None:
    """Answer each message line with one response line (passed to `write`, newline included) until
    the lines end or an `end` message arrives. Blank lines are not messages and get no answer."""
    tool = Tool(method, timeout, version)
    for line in lines:
        text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
        if not text.strip():
            continue
        try:
            response, go_on = tool.answer(text)
        except Exception as e:  # a bug of the lab's: the eval still gets its one line
            response, go_on = {"id": _id_of(text), "error": f"lab failed: {_one_line(e)}"}, True
        write(json.dumps(response, allow_nan=False) + "\n")
        if not go_on:
            return


def serve_stdio(method: Method, timeout: float | None = None, version: str = "") -> None:
    """`serve` on this process's stdin and stdout. Only responses reach stdout: whatever a library
    prints there while the tool runs is sent to stderr instead."""
    sys.stdout.flush()
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", newline="\n")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    def write(text: str) -> None:
        channel.write(text)
        channel.flush()

    try:
        serve(method, sys.stdin.buffer, write, timeout, version)
    except BrokenPipeError:  # the eval has gone: nobody is left to answer
        pass
    finally:
        try:
            channel.close()
        except BrokenPipeError:
            pass


class Tool:
    """The responses of one tool session."""

    def __init__(self, method: Method, timeout: float | None, version: str = ""):
        self.method, self.timeout, self.version = method, timeout, version

    def answer(self, line: str) -> tuple[dict, bool]:
        """(the response to one line, whether to read on)."""
        try:
            message = _parse(line)
        except Malformed as e:
            return {"id": _id_of(line), "error": str(e)}, True
        kind, ident = message["kind"], message["id"]
        if kind == "start":
            return {"id": ident, "tool": TOOL, "config": self.config()}, True
        if kind == "define":
            return {"id": ident, **self.define(message.get("module"))}, True
        if kind == "evaluate":
            return {"id": ident, **self.evaluate(message)}, True
        if kind == "analysis":
            if message.get("valid") is False:
                print(f"{TOOL}: analysis of message {message.get('of')}: invalid: "
                      f"{message.get('error', '')}".strip(), file=sys.stderr)
            return {"id": ident}, True
        return {"id": ident}, False  # end

    def config(self) -> dict:
        """What the start response says about this tool."""
        return {"backend": self.method.backend, "variant": self.method.variant,
                "method": self.method.label, "values": "the array-API program on numpy, float64",
                "lab": self.version}

    def define(self, module: Any) -> dict:
        """Success for a module the lab speaks, else failure naming those it does."""
        if isinstance(module, str) and module in MODULES:
            return {"success": True}
        return {"success": False,
                "error": f"lab has no module {module!r:.60}; it speaks {', '.join(MODULES)}"}

    def evaluate(self, message: dict) -> dict:
        """The output and timings, or failure with the reason."""
        try:
            req = request(message.get("module"), message.get("function"), message.get("input"))
            values, timings = self.run(req)
            return {"success": True, "output": req.encode(values), "timings": timings}
        except BadInput as e:
            return {"success": False, "error": str(e)}
        except Unsupported as e:
            return {"success": False, "error": f"{self.method.label} cannot: {_one_line(e)}"}
        except OverBudget as e:
            return {"success": False, "error": str(e)}
        except Exception as e:  # the method raised: say what, and keep serving
            return {"success": False,
                    "error": f"{self.method.label} raised {type(e).__name__}: {_one_line(e)}"}

    def run(self, req: Request) -> tuple[np.ndarray, list[dict]]:
        """The values, computed at least `min_runs` times and for `min_seconds` (after a timed
        warm-up call for a method that compiles), with one timing per run."""
        call = self.computation(req)
        timings = []
        if req.kind == "gradient" and getattr(self.method, "compiles", False):
            timings.append({"name": "warmup", "nanoseconds": self.timed(call)[1]})
        spent, runs = 0, 0
        while runs < max(req.runs.min_runs, 1) or spent < req.runs.min_seconds * 1e9:
            values, ns = self.timed(call)
            timings.append({"name": "evaluate", "nanoseconds": ns})
            spent, runs = spent + ns, runs + 1
        return values, timings

    def computation(self, req: Request) -> Callable[[], np.ndarray]:
        """What one run computes: the program on numpy, or the backend's gradient."""
        if req.kind == "value":
            return lambda: np.asarray(req.fn.program(req.x), dtype=np.float64)
        points = req.x[None]
        return lambda: compute(self.method, "gradient", req.fn, points, 1)[0][0]

    def timed(self, call: Callable[[], np.ndarray]) -> tuple[np.ndarray, int]:
        """(call(), the nanoseconds it took), within this tool's time limit."""
        # A value beyond float64 is refused when encoded, with its reason: no warning besides.
        with budget(self.timeout, f"one run of {self.method.label}"), np.errstate(all="ignore"):
            start = time.perf_counter_ns()
            values = call()
            return values, time.perf_counter_ns() - start


def _parse(line: str) -> dict:
    """The message on a line, checked for what every message needs: an integer id and a kind."""
    try:
        message = json.loads(line, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        raise Malformed(f"the line is not JSON: {_one_line(e)}") from None
    if not isinstance(message, dict):
        raise Malformed(f"a message is a JSON object, not {type(message).__name__}")
    if not _is_id(message.get("id")):
        raise Malformed("the message has no integer id")
    if message.get("kind") not in KINDS:
        raise Malformed(f"unknown message kind {message.get('kind')!r}; lab answers "
                        f"{', '.join(KINDS)}")
    return message


def _id_of(line: str) -> int | None:
    """The id of a message that could not be answered, where one can be read (leniently: a NaN
    elsewhere in the line does not hide it)."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return None
    ident = message.get("id") if isinstance(message, dict) else None
    return ident if _is_id(ident) else None


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
