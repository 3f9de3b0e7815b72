"""Ctrl-C during `lab report` ends with exit status 130 and one line (after the stage lines it
prints off a terminal), and leaves the previous report exactly as it was."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from helpers import wait_until

from lab.output.folders import MARKER


def snapshot(folder):
    """Every file under `folder` (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def previous_report(tmp_path):
    """A complete earlier report as lab leaves it: pages, a figure, benchmark results, the marker."""
    out = tmp_path / "reports"
    (out / "bench").mkdir(parents=True)
    (out / "README.md").write_text("# lab report\n\nthe previous run\n")
    (out / "errata.md").write_text("# Course errata\n")
    (out / "polynomial.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (out / "bench" / "README.md").write_text("# Benchmarks (quick mode)\n")
    (out / MARKER).write_text("written by lab\n")
    return out


# `lab`, with Ctrl-C turned back on: a shell that starts the tests in the background has them
# ignore SIGINT, and a child process would inherit that.
LAB = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
       "from lab.cli import main; sys.exit(main())")


def wait_for_staging(out, proc):
    """Wait until the run has made its staged folder beside `out` (so it is computing results)."""
    wait_until(lambda: any(out.parent.glob(f".{out.name}.new-*")), proc, "a staged folder made")


# Three moments: 1 s after the start (the command line is being parsed: building the parser
# imports torch), 3 s after it (the report's libraries are being imported), and 3 s after the
# staged folder appeared (the cross-check is running, the new report is built beside the old one).
@pytest.mark.parametrize("moment", ["1 s after the start", "3 s after the start",
                                    "while the new report is built"])
def test_ctrl_c_exits_130_in_one_line_and_keeps_the_previous_report(previous_report, moment):
    before = snapshot(previous_report)
    proc = subprocess.Popen([sys.executable, "-c", LAB, "report", "--quick", "--out",
                             str(previous_report)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if moment == "while the new report is built":
        wait_for_staging(previous_report, proc)
    time.sleep(1.0 if moment.startswith("1 s") else 3.0)
    assert proc.poll() is None, "the report finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    err = err.decode()
    assert proc.returncode == 130, err
    # Off a terminal each stage reached is one line of progress; the interrupt adds exactly one.
    *stages, last = err.splitlines()
    assert last == "lab report: interrupted", err
    assert all(re.fullmatch(r"lab report \[\d+ s\]: .+", line) for line in stages), err
    assert snapshot(previous_report) == before
    # Nothing half-written is left beside it either.
    assert sorted(p.name for p in previous_report.parent.iterdir()) == ["reports"]
