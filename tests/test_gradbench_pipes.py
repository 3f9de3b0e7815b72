"""End to end: a gradbench-style eval process and `lab gradbench tool` connected through pipes run
gradbench's hello, lse and llsq evals with every answer valid (validated as gradbench's evals do:
ρ ≤ 10⁻⁴ against an independent implementation), for the tape and for JAX; the log recorded as
gradbench's intermediary records it then passes `lab gradbench check`."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from lab.interop.gradbench_log import check_log

TOLERANCE = 1e-4  # gradbench's compare_json_objects


def rho(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return np.abs(x - y) / np.maximum(1.0, np.abs(x) + np.abs(y))


def hello(function, x):
    return x * x if function == "square" else 2 * x


def lse(function, payload):
    x = np.array(payload["x"])
    value = np.max(x) + np.log(np.sum(np.exp(x - np.max(x))))
    return float(value) if function == "primal" else np.exp(x - value).tolist()


def llsq(function, payload):
    x, n = np.array(payload["x"]), payload["n"]
    t = -1 + np.arange(n) * 2 / (n - 1)
    powers = t[:, None] ** np.arange(len(x))
    r = np.sign(t) - powers @ x
    return float(r @ r / 2) if function == "primal" else (-powers.T @ r).tolist()


class Eval:
    """The eval's side of gradbench's protocol, as its `SingleModuleValidatedEval` does it: ids
    from 0, one response line per message, an `analysis` after each successful evaluate. It also
    writes the log gradbench's intermediary would."""

    def __init__(self, tool: subprocess.Popen, log):
        self.tool, self.log, self.id, self.start = tool, log, 0, time.monotonic_ns()
        self.analyses: list[bool] = []

    def _record(self, side: str, line: str) -> None:
        self.log.write(f'{{ "elapsed": {{ "nanoseconds": {time.monotonic_ns() - self.start} }}, '
                       f'"{side}": {line.strip()} }}\n')

    def send(self, message: dict) -> dict:
        line = json.dumps({"id": self.id, **message})
        self._record("message", line)
        self.tool.stdin.write(line + "\n")
        self.tool.stdin.flush()
        answer = self.tool.stdout.readline()
        assert answer, "the tool closed its output"
        self._record("response", answer)
        response = json.loads(answer)
        assert response["id"] == self.id
        self.id += 1
        return response

    def evaluate(self, module: str, function: str, payload, expected) -> dict:
        ident = self.id
        response = self.send({"kind": "evaluate", "module": module, "function": function,
                              "input": payload})
        assert response["success"] is True and "error" not in response, response
        assert all(isinstance(t["nanoseconds"], int) for t in response["timings"])
        valid = bool(np.all(rho(expected, response["output"]) <= TOLERANCE)) and (
            np.shape(expected) == np.shape(response["output"]))
        self.analyses.append(valid)
        self.send({"kind": "analysis", "of": ident, "valid": valid})
        return response


def run_hello(e: Eval) -> None:
    x = 1.0
    for _ in range(4):
        y = e.evaluate("hello", "square", x, hello("square", x))["output"]
        x = e.evaluate("hello", "double", y, hello("double", y))["output"]


def run_lse(e: Eval) -> None:
    rng = np.random.default_rng(31337)
    for n in (10, 100, 2500):
        payload = {"x": rng.random(n).tolist(), "min_runs": 2, "min_seconds": 0.01}
        for function in ("primal", "gradient"):
            e.evaluate("lse", function, payload, lse(function, payload))


def run_llsq(e: Eval) -> None:
    rng = np.random.default_rng(31337)
    for n, m in ((16, 8), (32, 8), (16, 128)):
        payload = {"x": rng.random(m).tolist(), "n": n, "min_runs": 1, "min_seconds": 0.01}
        for function in ("primal", "gradient"):
            e.evaluate("llsq", function, payload, llsq(function, payload))


EVALS = {"hello": run_hello, "lse": run_lse, "llsq": run_llsq}


@pytest.mark.parametrize("backend", ["tape", "jax"])
@pytest.mark.parametrize("name", list(EVALS))
def test_an_eval_completes_through_pipes_and_its_log_checks(name, backend, tmp_path):
    errors = open(tmp_path / "stderr", "w")  # a file: a pipe nobody reads could fill and block
    tool = subprocess.Popen([sys.executable, "-m", "lab", "gradbench", "tool", "--backend", backend],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True)
    log = tmp_path / f"{name}-{backend}.jsonl"
    try:
        with open(log, "w") as f:
            e = Eval(tool, f)
            started = e.send({"kind": "start", "eval": name})
            assert started["tool"] == "lab" and started["config"]["backend"] == backend
            assert e.send({"kind": "define", "module": name}) == {"id": 1, "success": True}
            EVALS[name](e)
        tool.stdin.close()
        assert tool.wait(timeout=60) == 0
    finally:
        tool.kill()
        tool.wait()
        tool.stdout.close()
        errors.close()
    assert e.analyses and all(e.analyses), (tmp_path / "stderr").read_text()
    # Re-checked against the certified reference: what is small enough agrees, the rest is skipped.
    verdicts = [r.verdict for r in check_log(log, max_size=300).rows]
    assert set(verdicts) <= {"agree", "skipped"} and "agree" in verdicts
    assert ("skipped" in verdicts) == (name != "hello")
