"""How long `lab`'s commands take, as a user runs them: a fresh process each time, cold (an empty
cache: JAX and torch.compile compile everything) and warm (the cache a first run left), beside
the targets; a second `lab.diff` in a warm Python session; where `lab check`'s time goes (its
rows' compile and compute seconds); and whether any row times out with busy processes beside it.
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
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lab.bench.harness import cpu_model, load_average, noisy
from lab.output.folders import atomic_write_text
from lab.output.provenance import machine, versions
from lab.workers.pool import cores

POINTS = ",".join(f"{0.1 + 2.8 * i / 1999:.6f}" for i in range(2000))


@dataclass(frozen=True)
class Command:
    """A command line after `lab`, its target in seconds (warm cache) and the exit status it
    should end with."""

    name: str
    args: tuple[str, ...]
    target_s: float
    exit_status: int = 0


# The README's `lab diff` examples, as written there; the quotient one disagrees on purpose.
README_EXAMPLES = (
    ("diff", "x*y + sin(x)", "--hessian", "--at", "x=1,y=2", "--json"),
    ("diff", "x**4 - 2*x**3", "--order", "2", "--at", "-1,0,2.5"),
    ("diff", "x*exp(y)", "--wrt", "y", "--at", "x=1,y=0;x=2,y=1", "--json"),
    ("diff", "sin(x)/x", "--order", "4", "--at", "1e-12"),
    ("diff", "x*y + sin(x)", "--direction", "1,2", "--at", "x=1,y=2"),
)
COMMANDS: tuple[Command, ...] = (
    Command("lab --help", ("--help",), 0.5),
    Command("a bad lab diff expression", ("diff", "x +"), 1.0, 2),
    Command("lab check", ("check", "--json"), 15.0),
    *(Command("README: lab " + " ".join(a[1:3]), a, 8.0, 1 if a[1] == "sin(x)/x" else 0)
      for a in README_EXAMPLES),
    Command("lab diff at 2,000 points", ("diff", "x**3*sin(x) + exp(-x)", "--at", POINTS, "--json"), 8.0),
    Command("lab diff --backend tape", ("diff", "x**3*sin(x) + exp(-x)", "--at", "0.5", "--backend",
                                        "tape"), 2.0),
    Command("lab report --quick", ("report", "--quick", "--out", "{tmp}/report"), 45.0),
)
WARM_SESSION_TARGET_S = 1.0
# A second lab.diff in one Python session: a new one-variable expression at 3 points, by every
# variant that does not compile (the first call starts and warms the workers).
WARM_SESSION = """
import json, sys, time
import lab
from lab.backends import select
eager = [m.label for m in select() if not m.compiles]
lab.diff("sin(x)*exp(x)", at=[0.1, 0.5, 1.0], backends=eager)
start = time.perf_counter()
result = lab.diff("x*log(1 + x**2) - cos(x)", at=[0.2, 0.7, 1.3], backends=eager)
print(json.dumps({"seconds": time.perf_counter() - start, "ok": result.ok, "variants": len(eager)}))
lab.close()
"""


@dataclass
class CommandTiming:
    """Wall-clock seconds of one command: its first run on an empty cache, then warm runs."""

    name: str
    revision: str
    cold_s: float
    warm_s: list[float]
    target_s: float
    exit_status: int
    expected_exit: int = 0

    @property
    def warm_median_s(self) -> float:
        return statistics.median(self.warm_s)

    @property
    def verdict(self) -> str:
        if self.exit_status != self.expected_exit:
            return f"missed (exit {self.exit_status}, not {self.expected_exit})"
        return "met" if self.warm_median_s <= self.target_s else "missed"


@dataclass
class Measured:
    """Everything one run of this benchmark measured, with the machine's load around it."""

    timings: list[CommandTiming] = field(default_factory=list)
    warm_session: dict | None = None
    profile: list[dict] = field(default_factory=list)  # per variant: compile and compute seconds
    busy: dict | None = None
    environment: dict = field(default_factory=dict)


# Runs `lab` from another checkout: the installed (editable) lab's import hook is removed first,
# or it would win over sys.path.
FROM_SOURCE = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in "
               "repr(f)]; sys.path.insert(0, {source!r}); from lab.cli import main; "
               "sys.exit(main({args!r}))")


def _run(args: tuple[str, ...], env: dict, tmp: Path, source: Path | None = None,
         stdout=subprocess.DEVNULL) -> tuple[float, int]:
    args = tuple(a.replace("{tmp}", str(tmp)) for a in args)
    argv = ([sys.executable, "-m", "lab.cli", *args] if source is None
            else [sys.executable, "-c", FROM_SOURCE.format(source=str(source), args=list(args))])
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, done.returncode


def _env(cache: Path) -> dict:
    return {**os.environ, "LAB_CACHE": str(cache), "COLUMNS": "200"}


def time_commands(revision: str = "working tree", source: Path | None = None, warm_runs: int = 2,
                  only: tuple[str, ...] = ()) -> list[CommandTiming]:
    """Each command cold once and warm `warm_runs` times; `source` is a checkout of another
    revision to run instead of the installed lab."""
    timings = []
    for c in COMMANDS:
        if only and c.name not in only:
            continue
        with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
            env = _env(Path(tmp) / "cache")
            cold, status = _run(c.args, env, Path(tmp), source)
            warm = []
            for _ in range(warm_runs):
                shutil.rmtree(Path(tmp) / "report", ignore_errors=True)
                seconds, status = _run(c.args, env, Path(tmp), source)
                warm.append(seconds)
        timings.append(CommandTiming(c.name, revision, cold, warm, c.target_s, status, c.exit_status))
    return timings


def warm_session(cache: Path) -> dict:
    """The seconds of a second `lab.diff` in one Python session (WARM_SESSION)."""
    done = subprocess.run([sys.executable, "-c", WARM_SESSION], env=_env(cache), capture_output=True,
                          text=True)
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if done.returncode == 0 and lines else {"error": done.stderr[-300:]}


def check_rows(cache: Path, stdout_path: Path) -> list[dict]:
    """The rows of one warm `lab check --json` run."""
    with open(stdout_path, "w") as out:
        _run(("check", "--json"), _env(cache), cache.parent, stdout=out)
    try:
        return json.loads(stdout_path.read_text())["rows"]
    except (ValueError, KeyError):
        return []


def profile(rows: list[dict]) -> list[dict]:
    """Per backend variant, the compile and compute seconds of its rows, most first."""
    spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for r in rows:
        s = spent[f"{r['backend']}.{r['variant']}"]
        s[0] += r.get("compile_seconds") or 0.0
        s[1] += r.get("compute_seconds") or 0.0
        s[2] += 1
    return sorted(({"variant": k, "compile_s": c, "compute_s": t, "rows": n}
                   for k, (c, t, n) in spent.items()), key=lambda p: -(p["compile_s"] + p["compute_s"]))


def beside_busy_processes(cache: Path, busy: int = 2) -> dict:
    """`lab check` and the README examples (as JSON) once each while `busy` processes spin beside
    them: how many rows timed out at the default limits."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    timed_out, rows, load = [], 0, []
    try:
        with tempfile.TemporaryDirectory(prefix="lab-busy-") as tmp:
            for args in (("check", "--json"), *(a if "--json" in a else (*a, "--json")
                                                for a in README_EXAMPLES)):
                out = Path(tmp) / "out.json"
                with open(out, "w") as f:
                    _run(args, _env(cache), Path(tmp), stdout=f)
                load.append(load_average())
                try:
                    data = json.loads(out.read_text())
                except ValueError:
                    timed_out.append(f"{' '.join(args[:2])}: no JSON")
                    continue
                found = data["rows"] if "rows" in data else [
                    {"backend": k, **v} for k, v in data.get("backends", {}).items()]
                rows += len(found)
                timed_out += [f"{' '.join(args[:2])}: {r.get('backend')}.{r.get('variant', '')}"
                              for r in found if r.get("verdict") == "timeout"]
    finally:
        for s in spinners:
            s.kill()
    return {"busy_processes": busy, "rows": rows, "timed_out": timed_out, "load": load}


def measure(warm_runs: int = 2, only: tuple[str, ...] = (), busy: bool = True) -> Measured:
    """The whole benchmark: the commands, then (unless `only` picks some commands) the warm
    session, the check's profile and the busy run."""
    before = load_average()
    m = Measured(timings=time_commands(warm_runs=warm_runs, only=only))
    after = load_average()
    if not only:
        with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
            cache = Path(tmp) / "cache"
            check_rows(cache, Path(tmp) / "cold.json")  # fills the cache
            m.profile = profile(check_rows(cache, Path(tmp) / "warm.json"))
            m.warm_session = warm_session(cache)
            after = load_average()  # before the busy run, which loads the machine on purpose
            if busy:
                m.busy = beside_busy_processes(cache)
    # A command computes with a worker per core (--jobs' default): that load is its own.
    own = float(cores())
    m.environment = {"cpu_model": cpu_model(), "cores": os.cpu_count(), "load_before": before,
                     "load_after": after, "own_load": own,
                     "noisy": noisy(before, after, os.cpu_count(), own)}
    return m


def write(out: Path, m: Measured, page: str) -> None:
    """commands.json and commands.md under `out`, each written whole."""
    out.mkdir(parents=True, exist_ok=True)
    record = {"schema": {"name": "lab.bench.commands", "version": 1}, "date": str(datetime.date.today()),
              "machine": machine(), "versions": versions(), **asdict(m),
              "timings": [{**asdict(t), "warm_median_s": t.warm_median_s, "verdict": t.verdict}
                          for t in m.timings]}
    atomic_write_text(out / "commands.json", json.dumps(record, indent=1))
    atomic_write_text(out / "commands.md", page)
