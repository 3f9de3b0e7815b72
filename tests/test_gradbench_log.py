"""`lab gradbench check LOG`: a gradbench log re-checked against the certified reference — a right
log agrees, a planted wrong gradient that gradbench's flat 10⁻⁴ lets through is flagged, and what
cannot be checked is listed with its reason."""

import json

import numpy as np
import pytest

from lab.backends import select
from lab.cli import main
from lab.interop.gradbench_log import check_log
from lab.interop.gradbench_tool import serve

RUNS = {"min_runs": 1, "min_seconds": 0}


def write_log(path, pairs, analyses=()):
    """A log as gradbench's intermediary writes it: each message line, then its response line
    (None: the log ends without one)."""
    lines, clock = [], 0
    for message, response in pairs:
        clock += 1000
        lines.append(json.dumps({"elapsed": {"nanoseconds": clock}, "message": message}))
        if response is not None:
            lines.append(json.dumps({"elapsed": {"nanoseconds": clock + 500}, "response": response}))
    path.write_text("\n".join(lines) + "\n")
    return path


def run_tool(messages):
    """The tape tool's responses to the messages."""
    written = []
    serve(select(["tape"])[0], [json.dumps(m) for m in messages], written.append)
    return [json.loads(w) for w in written]


def lse_session(x, y):
    messages = [
        {"id": 0, "kind": "start", "eval": "lse"},
        {"id": 1, "kind": "define", "module": "lse"},
        {"id": 2, "kind": "evaluate", "module": "lse", "function": "primal",
         "input": {"x": x, **RUNS}, "description": f"n={len(x)}"},
        {"id": 3, "kind": "analysis", "of": 2, "valid": True},
        {"id": 4, "kind": "evaluate", "module": "lse", "function": "gradient",
         "input": {"x": x, **RUNS}, "description": f"n={len(x)}"},
        {"id": 5, "kind": "analysis", "of": 4, "valid": True},
        {"id": 6, "kind": "evaluate", "module": "llsq", "function": "gradient",
         "input": {"x": y, "n": 16, **RUNS}, "description": f"n=16,m={len(y)}"},
        {"id": 7, "kind": "analysis", "of": 6, "valid": True},
    ]
    return list(zip(messages, run_tool(messages), strict=True))


@pytest.fixture
def session(rng):
    return lse_session(rng.random(20).tolist(), rng.random(6).tolist())


def test_a_right_log_agrees(tmp_path, session, capsys):
    log = write_log(tmp_path / "run.jsonl", session)
    result = check_log(log, max_size=500)
    assert (result.eval, result.tool) == ("lse", "lab")
    assert [(r.id, r.verdict, r.gradbench) for r in result.rows] == [
        (2, "agree", "valid"), (4, "agree", "valid"), (6, "agree", "valid")]
    assert all(r.max_error < r.tolerance < 1e-10 for r in result.rows)
    assert main(["gradbench", "check", str(log), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [r["verdict"] for r in printed["rows"]] == ["agree"] * 3


def test_a_planted_wrong_gradient_is_flagged(tmp_path, session, capsys):
    message, response = session[4]
    planted = list(response["output"])
    planted[7] *= 1 + 1e-6  # ρ ≈ 5·10⁻⁸: inside gradbench's 10⁻⁴, far outside float64 rounding
    session[4] = (message, {**response, "output": planted})
    log = write_log(tmp_path / "run.jsonl", session)
    row = next(r for r in check_log(log, max_size=500).rows if r.id == 4)
    assert row.verdict == "disagree" and 1e-9 < row.max_error < 1e-4
    assert "entry (7,)" in row.detail and row.gradbench == "valid"
    assert main(["gradbench", "check", str(log)]) == 1
    shown = capsys.readouterr().out
    assert "disagree" in shown and "called 1 valid that disagree" in shown and "messages 4" in shown


def test_what_cannot_be_checked_is_listed_with_its_reason(tmp_path, session):
    pairs = session + [
        ({"id": 8, "kind": "evaluate", "module": "lse", "function": "gradient",
          "input": {"x": [0.5] * 600, **RUNS}}, {"id": 8, "success": True, "output": [1 / 600] * 600}),
        ({"id": 9, "kind": "evaluate", "module": "gmm", "function": "objective", "input": {}},
         {"id": 9, "success": True, "output": 1.0}),
        ({"id": 10, "kind": "evaluate", "module": "lse", "function": "primal"},  # trimmed
         {"id": 10, "success": True, "timings": []}),
    ]
    rows = {r.id: r for r in check_log(write_log(tmp_path / "run.jsonl", pairs), max_size=500).rows}
    assert rows[8].verdict == "skipped" and "600 terms" in rows[8].detail and "--max-size" in rows[8].detail
    assert rows[9].verdict == "skipped" and "unknown module 'gmm'" in rows[9].detail
    assert rows[10].verdict == "skipped" and "trimmed" in rows[10].detail
    assert all(rows[i].ok for i in (8, 9, 10))
    assert {r.verdict for r in check_log(tmp_path / "run.jsonl", max_size=0).rows} == {"skipped"}


def test_failures_of_the_tool_are_errors(tmp_path):
    x = {"x": [1.0, 2.0], **RUNS}
    pairs = [
        ({"id": 0, "kind": "start"}, {"id": 0}),
        ({"id": 1, "kind": "evaluate", "module": "lse", "function": "gradient", "input": x},
         {"id": 1, "success": False, "error": "out of memory"}),
        ({"id": 2, "kind": "evaluate", "module": "lse", "function": "gradient", "input": x},
         {"id": 2, "success": True, "output": [0.5]}),
        ({"id": 3, "kind": "evaluate", "module": "lse", "function": "primal", "input": x},
         {"id": 3, "success": True, "output": "2.3"}),
        ({"id": 4, "kind": "evaluate", "module": "lse", "function": "gradient", "input": x}, None),
    ]
    log = write_log(tmp_path / "run.jsonl", pairs)
    rows = {r.id: r for r in check_log(log, max_size=500).rows}
    assert rows[1].verdict == "error" and "out of memory" in rows[1].detail
    assert rows[2].verdict == "disagree" and "list of 2 numbers" in rows[2].detail
    assert rows[3].verdict == "disagree" and "should be a number" in rows[3].detail
    assert rows[4].verdict == "error" and "did not respond" in rows[4].detail
    assert main(["gradbench", "check", str(log)]) == 1


def test_lines_that_are_not_entries_are_noted(tmp_path, session):
    log = write_log(tmp_path / "run.jsonl", session)
    log.write_text(log.read_text() + "not json\n[1, 2]\n")
    result = check_log(log, max_size=500)
    assert result.notes == [f"line {len(session) * 2 + 1} is not JSON",
                            f"line {len(session) * 2 + 2} is not a message or response with an id"]
    assert all(r.verdict == "agree" for r in result.rows)


@pytest.mark.parametrize("content", [None, "", "not a log\n", b"\xff\xfe\x00", '{"response": {"id": 0}}\n'],
                         ids=["missing", "empty", "text", "binary", "no message"])
def test_an_unreadable_log_is_one_line(tmp_path, content, capsys):
    log = tmp_path / "run.jsonl"
    if isinstance(content, bytes):
        log.write_bytes(content)
    elif content is not None:
        log.write_text(content)
    assert main(["gradbench", "check", str(log)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("argv", [["--max-size", "-1"], ["--timeout", "0"], ["--timeout", "nan"]])
def test_bad_options_are_one_line(tmp_path, argv, capsys):
    assert main(["gradbench", "check", str(tmp_path), *argv]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_primal_is_checked_against_the_exact_value(tmp_path, rng):
    y = rng.random(4)
    pairs = [({"id": 1, "kind": "evaluate", "module": "llsq", "function": "primal",
               "input": {"x": y.tolist(), "n": 5, **RUNS}},
              {"id": 1, "success": True, "output": 1.0})]  # far from the true value
    row = check_log(write_log(tmp_path / "run.jsonl", pairs), max_size=500).rows[0]
    assert row.verdict == "disagree" and row.max_error > 1e-3
    assert np.isfinite(row.tolerance)
