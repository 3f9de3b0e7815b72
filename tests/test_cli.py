"""The command line: names known without importing the heavy modules match the real ones, and
every --help answers without loading torch or JAX."""

import subprocess
import sys

import pytest

from lab import backends
from lab.cli import main
from lab.cli.bench import SWEEPS


def test_the_registry_knows_every_variant_without_importing_it():
    loaded = {m.label for m in backends.select()}
    assert loaded == {f"{b}.{v}" for b, vs in backends.VARIANTS.items() for v in vs}


def test_the_sweep_names_match_the_benchmarks():
    from lab.bench.summary import QUICK

    assert SWEEPS == tuple(QUICK)


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
