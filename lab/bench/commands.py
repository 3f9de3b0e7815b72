"""How long `lab`'s commands take, as a user runs them: a fresh process each time, cold (an empty
cache: JAX compiles everything) and warm (the cache a first run left), beside the targets.
Optionally the same commands of an earlier revision, measured in the same run for a fair ratio."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from lab.output.folders import atomic_write_text
from lab.output.markdown import md_table
from lab.output.provenance import machine, versions

POINTS = ",".join(f"{0.1 + 2.8 * i / 1999:.6f}" for i in range(2000))
# (name, arguments after `lab`, target in seconds with a warm cache)
COMMANDS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("lab --help", ("--help",), 0.5),
    ("a bad lab diff expression", ("diff", "x +"), 1.0),
    ("lab check", ("check", "--json"), 10.0),
    ("lab diff at 2,000 points", ("diff", "x**3*sin(x) + exp(-x)", "--at", POINTS, "--json"), 10.0),
    ("lab report --quick", ("report", "--quick", "--out", "{tmp}/report"), 45.0),
)


@dataclass
class CommandTiming:
    """Wall-clock seconds of one command: its first run on an empty cache, then warm runs."""

    name: str
    revision: str
    cold_s: float
    warm_s: list[float]
    target_s: float
    exit_status: int

    @property
    def warm_median_s(self) -> float:
        return statistics.median(self.warm_s)


# Runs `lab` from another checkout: the installed (editable) lab's import hook is removed first,
# or it would win over sys.path.
FROM_SOURCE = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in "
               "repr(f)]; sys.path.insert(0, {source!r}); from lab.cli import main; "
               "sys.exit(main({args!r}))")


def _run(python: str, args: tuple[str, ...], env: dict, tmp: Path,
         source: Path | None = None) -> tuple[float, int]:
    args = tuple(a.replace("{tmp}", str(tmp)) for a in args)
    argv = ([python, "-m", "lab.cli", *args] if source is None
            else [python, "-c", FROM_SOURCE.format(source=str(source), args=list(args))])
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, done.returncode


def time_commands(revision: str = "working tree", source: Path | None = None, warm_runs: int = 2,
                  only: tuple[str, ...] = ()) -> list[CommandTiming]:
    """Each command cold once and warm `warm_runs` times; `source` is a checkout of another
    revision to run instead of the installed lab."""
    timings = []
    for name, args, target in COMMANDS:
        if only and name not in only:
            continue
        with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
            env = {**os.environ, "LAB_CACHE": str(Path(tmp) / "cache"), "COLUMNS": "200"}
            cold, status = _run(sys.executable, args, env, Path(tmp), source)
            warm = []
            for _ in range(warm_runs):
                shutil.rmtree(Path(tmp) / "report", ignore_errors=True)
                warm.append(_run(sys.executable, args, env, Path(tmp), source)[0])
        timings.append(CommandTiming(name, revision, cold, warm, target, status))
    return timings


def page(timings: list[CommandTiming]) -> str:
    """The markdown page: cold and warm times per revision, and whether each target is met."""
    rows = [(t.name, t.revision, f"{t.cold_s:.2f} s", f"{t.warm_median_s:.2f} s "
             f"({', '.join(f'{w:.2f}' for w in t.warm_s)})", f"≤ {t.target_s:g} s",
             ("met" if t.warm_median_s <= t.target_s else "missed") if t.revision == "working tree"
             else "–", t.exit_status) for t in timings]
    return (f"# Command speed\n\n_{machine()} · {datetime.date.today()} · "
            + ", ".join(f"{k} {v}" for k, v in versions().items()) + "._\n\n"
            "Each command runs in a fresh process, as a user runs it: once with an empty cache "
            "(cold: JAX compiles every operation) and then again with the cache the first run "
            "left (warm; each time listed). A target is judged on the warm median. Rows of an "
            "earlier revision were measured in the same run, on the same machine.\n\n"
            + md_table(["command", "revision", "cold", "warm median (runs)", "target",
                        "verdict", "exit status"], rows))


def write(out: Path, timings: list[CommandTiming]) -> None:
    """commands.json and commands.md under `out`, each written whole."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "commands.json", json.dumps([asdict(t) for t in timings], indent=1))
    atomic_write_text(out / "commands.md", page(timings))
