"""The command line: names known without importing the heavy modules match the real ones, and
every --help answers without loading torch or JAX."""

import os
import signal
import subprocess
import sys

import pytest

from lab import backends
from lab.cli import main


def test_the_registry_knows_every_variant_without_importing_it():
    loaded = {m.label for m in backends.select()}
    assert loaded == {f"{b}.{v}" for b, vs in backends.VARIANTS.items() for v in vs}


@pytest.mark.parametrize("argv", [[], ["check"], ["diff"], ["report"], ["bench"], ["sd"],
                                  ["sd", "sample"], ["sd", "safety"], ["sd", "inspect"]])
def test_help_loads_nothing_heavy(argv):
    code = ("import sys; from lab.cli import main\n"
            f"try:\n    main({[*argv, '--help']!r})\nexcept SystemExit as e:\n    assert e.code == 0\n"
            "print(sorted(m for m in ('torch', 'jax', 'diffusers', 'sympy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("[]"), result.stdout[-300:]


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.startswith("lab ")


@pytest.mark.parametrize("argv", [["check", "--exercise", "nope"], ["check", "--backend", "nope"],
                                  ["bench", "--sweep", "nope"], ["diff", "x", "--backend", "nope"],
                                  ["report", "--out", ""], ["nope"]])
def test_bad_arguments_are_one_line(argv, capsys):
    try:
        rc = main(argv)
    except SystemExit as e:
        rc = e.code
    assert rc == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_check_runs_each_exercise_once(capsys):
    assert main(["check", "--exercise", "graph", "graph", "--exercise", "graph", "--backend",
                 "sympy", "--json"]) == 0
    import json

    rows = json.loads(capsys.readouterr().out)["rows"]
    assert len(rows) == 1 and rows[0]["tolerance"] < 0.5


def test_the_check_table_its_notes_and_summary_fit_80_columns(capsys):
    """Printed to a file or a pipe (no terminal to fit): the course's erratum gives a note."""
    assert main(["check", "--exercise", "losses", "--backend", "closed_form", "sympy"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Notes" in lines and any("disagree (erratum)" in line for line in lines)
    too_wide = [line for line in lines if len(line) > 80]
    assert not too_wide, "\n".join(too_wide)


@pytest.mark.parametrize("argv", [
    ["max(2, exp(exp(exp(1000))))*x", "--at", "1"],
    ["abs(exp(exp(exp(1000))) - 1)*x", "--at", "1"],
    ["sqrt(exp(exp(exp(1000))))*x", "--at", "1"],
    ["x", "--at", "max(2, exp(exp(exp(1000))))"],
    ["x*sin(exp(exp(100)))", "--at", "1", "--timeout", "5"],
    ["x", "--at", "sin(exp(exp(100)))"],
    ["x+y", "--direction", "sin(exp(exp(100))),1", "--at", "x=1,y=1"],
])
def test_constants_beyond_float64_are_refused_in_one_line(argv, capsys):
    """A constant past float64's range cannot be evaluated at all (mpmath overflows) or needs
    millions of digits (the sine of one): refused as it is read, before any worker starts."""
    assert main(["diff", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is beyond float64's range" in err, err


@pytest.mark.parametrize("argv", [["check", "--list"], ["gradbench", "check", "LOG", "--json"]])
def test_a_reader_that_has_gone_is_no_traceback(tmp_path, argv):
    """`lab … | head -1`: stdout is a pipe whose reader has gone before anything is written."""
    log = tmp_path / "run.jsonl"
    log.write_text('{"elapsed": {"nanoseconds": 1}, "message": {"id": 0, "kind": "start", '
                   '"eval": "lse"}}\n')
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "lab", *[str(log) if a == "LOG" else a
                                                               for a in argv]],
                              stdout=write, stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write)
    assert done.returncode == 128 + signal.SIGPIPE and done.stderr == "", (done.returncode, done.stderr)
