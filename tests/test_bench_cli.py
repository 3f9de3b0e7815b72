"""`lab bench` on the command line: its sweep names are the families', its --help shows the
defaults, and off a terminal it writes one progress line per step to stderr."""

import subprocess
import sys

from lab.bench.families import FAMILIES, QUICK
from lab.cli.bench import OUT, SWEEPS


def test_the_sweep_names_are_the_families():
    assert SWEEPS == tuple(FAMILIES) == tuple(QUICK)


def test_help_shows_the_defaults():
    done = subprocess.run([sys.executable, "-m", "lab.cli", "bench", "--help"], capture_output=True,
                          text=True, check=True)
    text = " ".join(done.stdout.split())
    assert f"(default: {OUT})" in text and "(default: False)" in text
    assert "one line per step otherwise" in text


def test_progress_lines_go_to_stderr_off_a_terminal(tmp_path, monkeypatch):
    from lab.cli import main
    from lab.report import bench_summary

    def run_all(out, full=False, only=None, advance=lambda: None, say=lambda line: None, **kw):
        say("symbolic_polynomial: degree 2 done in 0.1 s")
        advance()
        return []

    monkeypatch.setattr(bench_summary, "run_all", run_all)
    lines = []
    monkeypatch.setattr(sys, "stderr", type("Pipe", (), {
        "isatty": lambda self: False, "write": lambda self, s: lines.append(s) or len(s),
        "flush": lambda self: None})())
    assert main(["bench", "--sweep", "symbolic", "--out", str(tmp_path / "b")]) == 0
    assert "lab bench: symbolic_polynomial: degree 2 done in 0.1 s\n" in "".join(lines)
