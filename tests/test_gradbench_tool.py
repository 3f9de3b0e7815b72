"""`lab gradbench tool` against transcripts written from gradbench's protocol documentation
(CONTRIBUTING.md "Protocol", evals/{hello,lse,llsq}/README.md): messages in, the responses the
documentation asks for out; malformed messages answered with an error, never a traceback."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from lab.backends import Method, select
from lab.errors import Unsupported
from lab.interop.gradbench_evals import MAX_SECONDS
from lab.interop.gradbench_tool import serve

BACKENDS = ["tape", "jax", "jax.jit"]


def converse(method: Method, messages: list, timeout: float | None = None) -> list[dict]:
    """The tool's responses to the messages (dicts are sent as JSON lines, strings as they are)."""
    written = []
    lines = [m if isinstance(m, str | bytes) else json.dumps(m) + "\n" for m in messages]
    serve(method, lines, written.append, timeout)
    assert all(w.endswith("\n") and w.count("\n") == 1 for w in written)
    return [json.loads(w) for w in written]


def expected_lse(x):
    a = np.max(x)
    value = a + np.log(np.sum(np.exp(x - a)))
    return value, np.exp(x - value)


def expected_llsq(x, n):
    t = -1 + np.arange(n) * 2 / (n - 1)
    v = t[:, None] ** np.arange(len(x))
    r = np.sign(t) - v @ x
    return 0.5 * r @ r, -v.T @ r


def assert_runs(response, min_runs, warmup_allowed=True):
    """One "evaluate" timing (whole nanoseconds) per run, at least min_runs of them."""
    timings = response["timings"]
    if timings and timings[0]["name"] == "warmup":
        assert warmup_allowed
        timings = timings[1:]
    assert len(timings) >= max(min_runs, 1)
    for t in timings:
        assert t["name"] == "evaluate" and isinstance(t["nanoseconds"], int) and t["nanoseconds"] >= 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_hello_transcript(backend):
    method = select([backend])[0]
    out = converse(method, [
        {"id": 0, "kind": "start", "eval": "hello"},
        {"id": 1, "kind": "define", "module": "hello"},
        {"id": 2, "kind": "evaluate", "module": "hello", "function": "square", "input": 1.5},
        {"id": 3, "kind": "analysis", "of": 2, "valid": True},
        {"id": 4, "kind": "evaluate", "module": "hello", "function": "double", "input": 2.25},
        {"id": 5, "kind": "analysis", "of": 4, "valid": True},
        {"id": 6, "kind": "evaluate", "module": "hello", "function": "double", "input": 3},
    ])
    assert out[0]["id"] == 0 and out[0]["tool"] == "lab"
    assert out[0]["config"]["method"] == method.label
    assert out[1] == {"id": 1, "success": True}
    assert out[2]["id"] == 2 and out[2]["success"] is True and out[2]["output"] == 2.25
    assert out[3] == {"id": 3}
    assert out[4]["output"] == 4.5 and out[5] == {"id": 5} and out[6]["output"] == 6.0
    for r in (out[2], out[4], out[6]):
        assert_runs(r, 1)
        assert "error" not in r  # a success carries no error (the intermediary refuses one)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lse_transcript(backend, rng):
    x = rng.random(100)
    value, gradient = expected_lse(x)
    runs = {"min_runs": 3, "min_seconds": 0}
    out = converse(select([backend])[0], [
        {"id": 0, "kind": "start", "eval": "lse"},
        {"id": 1, "kind": "define", "module": "lse"},
        {"id": 2, "kind": "evaluate", "module": "lse", "function": "primal",
         "input": {"x": x.tolist(), **runs}, "description": "n=100"},
        {"id": 3, "kind": "evaluate", "module": "lse", "function": "gradient",
         "input": {"x": x.tolist(), **runs}, "description": "n=100"},
    ])
    assert [r["id"] for r in out] == [0, 1, 2, 3] and out[1] == {"id": 1, "success": True}
    assert isinstance(out[2]["output"], float) and out[2]["output"] == pytest.approx(value, rel=1e-14)
    assert len(out[3]["output"]) == 100
    np.testing.assert_allclose(out[3]["output"], gradient, rtol=1e-13)
    assert_runs(out[2], 3, warmup_allowed=False)
    assert_runs(out[3], 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_llsq_transcript(backend, rng):
    x = rng.random(8)
    value, gradient = expected_llsq(x, 33)
    out = converse(select([backend])[0], [
        {"id": 0, "kind": "start"},
        {"id": 1, "kind": "define", "module": "llsq"},
        {"id": 2, "kind": "evaluate", "module": "llsq", "function": "primal",
         "input": {"x": x.tolist(), "n": 33, "min_runs": 1, "min_seconds": 0.05}},
        {"id": 3, "kind": "evaluate", "module": "llsq", "function": "gradient",
         "input": {"x": x.tolist(), "n": 33, "min_runs": 2, "min_seconds": 0}},
        {"id": 4, "kind": "analysis", "of": 3, "valid": False, "error": "Expected tau, got e."},
        {"id": 5, "kind": "end"},
        {"id": 6, "kind": "start"},  # after the end: not read
    ])
    assert [r["id"] for r in out] == [0, 1, 2, 3, 4, 5]
    assert out[2]["output"] == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(out[3]["output"], gradient, rtol=1e-12, atol=1e-13)
    # min_seconds: runs until their time adds up to it
    assert sum(t["nanoseconds"] for t in out[2]["timings"]) >= 0.05e9
    assert_runs(out[3], 2)
    assert out[4] == {"id": 4} and out[5] == {"id": 5}


def test_an_unknown_module_is_refused_at_define():
    out = converse(select(["tape"])[0], [{"id": 0, "kind": "start", "eval": "gmm"},
                                         {"id": 1, "kind": "define", "module": "gmm"},
                                         {"id": 2, "kind": "define", "module": ["lse"]},
                                         {"id": 3, "kind": "define"}])
    assert out[1]["id"] == 1 and out[1]["success"] is False
    assert "'gmm'" in out[1]["error"] and "lse" in out[1]["error"]
    assert [(r["id"], r["success"]) for r in out[2:]] == [(2, False), (3, False)]


BAD_EVALUATES = {
    "no module": {},
    "a list for a module": {"module": ["lse"], "function": "primal", "input": {}},
    "an object for a function": {"module": "lse", "function": {"a": 1}, "input": {}},
    "unknown function": {"module": "lse", "function": "hessian", "input": {"x": [1.0]}},
    "input not an object": {"module": "lse", "function": "primal", "input": [1.0]},
    "empty x": {"module": "lse", "function": "primal",
                "input": {"x": [], "min_runs": 1, "min_seconds": 0}},
    "a string in x": {"module": "lse", "function": "gradient",
                      "input": {"x": [1.0, "2"], "min_runs": 1, "min_seconds": 0}},
    "a boolean in x": {"module": "lse", "function": "gradient",
                       "input": {"x": [True], "min_runs": 1, "min_seconds": 0}},
    "x beyond float64": {"module": "lse", "function": "gradient",
                         "input": {"x": [10**400], "min_runs": 1, "min_seconds": 0}},
    "no min_runs": {"module": "lse", "function": "primal", "input": {"x": [1.0], "min_seconds": 0}},
    "negative min_runs": {"module": "lse", "function": "primal",
                          "input": {"x": [1.0], "min_runs": -1, "min_seconds": 0}},
    "fractional min_runs": {"module": "lse", "function": "primal",
                            "input": {"x": [1.0], "min_runs": 1.5, "min_seconds": 0}},
    "min_seconds a string": {"module": "lse", "function": "primal",
                             "input": {"x": [1.0], "min_runs": 1, "min_seconds": "1"}},
    "min_seconds without end": {"module": "lse", "function": "primal",
                                "input": {"x": [1.0], "min_runs": 1, "min_seconds": MAX_SECONDS * 10}},
    "llsq without n": {"module": "llsq", "function": "primal",
                       "input": {"x": [1.0], "min_runs": 1, "min_seconds": 0}},
    "llsq n = 1": {"module": "llsq", "function": "primal",
                   "input": {"x": [1.0], "n": 1, "min_runs": 1, "min_seconds": 0}},
    "llsq n a float": {"module": "llsq", "function": "primal",
                       "input": {"x": [1.0], "n": 16.0, "min_runs": 1, "min_seconds": 0}},
    "hello input a string": {"module": "hello", "function": "square", "input": "3"},
    "hello input an object": {"module": "hello", "function": "double", "input": {"x": 3}},
    "output overflows": {"module": "llsq", "function": "primal",
                         "input": {"x": [1e200, 1e200], "n": 4, "min_runs": 1, "min_seconds": 0}},
}


@pytest.mark.parametrize("name", list(BAD_EVALUATES))
def test_a_bad_evaluate_fails_with_a_reason(name):
    out = converse(select(["tape"])[0], [{"id": 7, "kind": "evaluate", **BAD_EVALUATES[name]},
                                         {"id": 8, "kind": "start"}])
    assert out[0]["id"] == 7 and out[0]["success"] is False, out[0]
    assert out[0]["error"] and "\n" not in out[0]["error"] and "Traceback" not in out[0]["error"]
    assert "output" not in out[0]
    assert out[1]["id"] == 8 and out[1]["tool"] == "lab"  # and the tool goes on


MALFORMED = [
    ("not JSON", "hello there\n", None),
    ("JSON, not an object", "[1, 2]\n", None),
    ("no id", '{"kind": "start"}\n', None),
    ("a string id", '{"id": "3", "kind": "start"}\n', None),
    ("a boolean id", '{"id": true, "kind": "start"}\n', None),
    ("no kind", '{"id": 4}\n', 4),
    ("an unknown kind", '{"id": 5, "kind": "launch"}\n', 5),
    ("NaN is not JSON", '{"id": 6, "kind": "evaluate", "module": "lse", "input": {"x": [NaN]}}\n', 6),
    ("nested without end", "[" * 100_000 + "\n", None),
    ("not UTF-8", b'{"id": 9, "kind": "st\xffart"}\n', 9),
    ("truncated", '{"id": 10, "kind": "evalu\n', None),
]


@pytest.mark.parametrize("name,line,ident", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_line_gets_an_error_response(name, line, ident):
    out = converse(select(["tape"])[0], [line, "\n", {"id": 11, "kind": "start"}])
    assert len(out) == 2  # the blank line is no message
    assert out[0]["id"] == ident and out[0]["error"] and "\n" not in out[0]["error"]
    assert out[1]["id"] == 11


class Sleepy(Method):
    backend, variant = "test", "sleepy"

    def gradient(self, f, x):
        time.sleep(30)


class Raising(Method):
    backend, variant = "test", "raising"

    def gradient(self, f, x):
        raise ZeroDivisionError("a bug\nwith a second line")


class Refusing(Method):
    backend, variant = "test", "refusing"

    def gradient(self, f, x):
        raise Unsupported("no gradients on Sundays")


LSE_GRADIENT = {"id": 1, "kind": "evaluate", "module": "lse", "function": "gradient",
                "input": {"x": [1.0, 2.0], "min_runs": 1, "min_seconds": 0}}


def test_a_run_past_the_timeout_fails_and_the_tool_goes_on():
    start = time.monotonic()
    out = converse(Sleepy(), [LSE_GRADIENT, {"id": 2, "kind": "start"}], timeout=0.5)
    assert time.monotonic() - start < 10
    assert out[0]["success"] is False and "longer than 0.5 s" in out[0]["error"]
    assert out[1]["id"] == 2


@pytest.mark.parametrize("method,says", [(Raising(), "test.raising raised ZeroDivisionError: a bug"),
                                         (Refusing(), "test.refusing cannot: no gradients on Sundays")])
def test_a_method_that_raises_or_refuses_fails_in_one_line(method, says):
    out = converse(method, [LSE_GRADIENT])
    assert out == [{"id": 1, "success": False, "error": says}]


NOISY = """
import sys
from lab.backends import Method
from lab.interop.gradbench_tool import serve_stdio

class Noisy(Method):
    backend, variant = "test", "noisy"
    def gradient(self, f, x):
        print("chatter on stdout")
        return 2 * x

serve_stdio(Noisy())
"""


def test_only_responses_reach_stdout():
    lines = [{"id": 0, "kind": "start"},
             {"id": 1, "kind": "evaluate", "module": "hello", "function": "double", "input": 2.0}]
    result = subprocess.run([sys.executable, "-c", NOISY], input="".join(
        json.dumps(m) + "\n" for m in lines), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in out] == [0, 1] and out[1]["output"] == 4.0
    assert "chatter on stdout" in result.stderr


@pytest.mark.parametrize("argv", [["--backend", "nope"], ["--backend", "closed_form"],
                                  ["--timeout", "-1"], ["--timeout", "inf"]])
def test_the_command_refuses_bad_options_in_one_line(argv):
    result = subprocess.run([sys.executable, "-m", "lab", "gradbench", "tool", *argv],
                            input="", capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and result.stdout == ""


@pytest.mark.parametrize("argv", [["gradbench"], ["gradbench", "tool"], ["gradbench", "check"]])
def test_help_loads_nothing_heavy(argv):
    code = ("import sys; from lab.cli import main\n"
            f"try:\n    main({[*argv, '--help']!r})\nexcept SystemExit as e:\n    assert e.code == 0\n"
            "print(sorted(m for m in ('torch', 'jax', 'sympy', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("[]"), result.stdout[-300:]


def test_a_bug_of_the_lab_still_gets_its_one_line(monkeypatch):
    from lab.interop import gradbench_tool

    def broken(self, message):
        raise KeyError("oops")

    monkeypatch.setattr(gradbench_tool.Tool, "evaluate", broken)
    out = converse(select(["tape"])[0], [LSE_GRADIENT, {"id": 2, "kind": "start"}])
    assert out[0] == {"id": 1, "error": "lab failed: 'oops'"} and out[1]["id"] == 2
