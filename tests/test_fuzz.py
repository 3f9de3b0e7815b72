"""Fuzz `lab diff`'s grammar: random expression trees, their mutations, junk, huge numbers and
unicode. Every input ends in exit status 0, 1 or 2 — never a traceback — within a bounded time and
memory, and `--json` output is JSON whenever the command answers."""

import json
import subprocess
import sys
from pathlib import Path

from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st

WORKER = Path(__file__).with_name("fuzz_diff_worker.py")
FUNCTIONS = ["exp", "log", "ln", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh",
             "cosh", "tanh", "abs", "sigmoid"]
SECONDS_PER_EXPRESSION = 20  # the worker's --timeout is 3 s per computation, a few computations each

leaves = st.one_of(
    st.just("x"), st.just("x"), st.just("x"),  # mostly functions of one variable, as users write
    st.sampled_from(["y", "pi", "e", "0", "1", "2", "0.5", "1e-300", "1e12", "999999999999",
                     "1.0000000000000002", "1e308", "-0.0"]),
    st.integers(-10**13, 10**13).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


def _combine(children):
    unary = st.tuples(st.sampled_from(FUNCTIONS), children).map(lambda t: f"{t[0]}({t[1]})")
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "^"]), children).map(
        lambda t: f"({t[0]}){t[1]}({t[2]})")
    power = st.tuples(children, children).map(lambda t: f"pow({t[0]}, {t[1]})")
    negate = children.map(lambda c: f"-{c}")
    return st.one_of(unary, binary, power, negate)


trees = st.recursive(leaves, _combine, max_leaves=12)
mutations = st.tuples(trees, st.integers(0, 40), st.text(max_size=3)).map(
    lambda t: t[0][: t[1]] + t[2] + t[0][t[1]:])
junk = st.one_of(st.text(max_size=40), st.text(alphabet="()[]{}*+-/^.,;:=!~'\"\\ \t\n0123456789xe",
                                                   max_size=60))
expressions = st.one_of(trees, trees, mutations, junk)


@settings(max_examples=examples(4), deadline=None)  # the first list is all "x"
@given(st.lists(expressions, min_size=60, max_size=60))
def test_every_expression_ends_in_one_line_or_an_answer(texts):
    assert_every_expression_answers(texts)


def assert_every_expression_answers(texts: list[str]) -> None:
    """Run `lab diff` on each text in the memory-limited worker: each ends in exit status 0, 1 or 2
    within its time, without a traceback, with one line on stderr for 2 and JSON otherwise."""
    result = subprocess.run([sys.executable, str(WORKER)], input=json.dumps(texts), text=True,
                            capture_output=True,
                            timeout=SECONDS_PER_EXPRESSION * len(texts))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and len(records) == len(texts), result.stderr[-2000:]
    for r in records:
        where = f"lab diff {r['text']!r}"
        assert not r["escaped"], f"{where}: {r['escaped']}"
        assert r["rc"] in (0, 1, 2), f"{where}: exit {r['rc']}"
        assert "Traceback" not in r["stderr"], f"{where}: {r['stderr']}"
        if r["rc"] == 2:
            assert r["stderr"].count("\n") == 1, f"{where}: {r['stderr']}"
        else:
            assert r["json"], f"{where}: stdout is not JSON"
        assert r["seconds"] < SECONDS_PER_EXPRESSION, f"{where}: {r['seconds']:.1f} s"
