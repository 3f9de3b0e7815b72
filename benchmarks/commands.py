"""How long lab's commands take (cold and warm cache) beside their targets, a warm Python session,
where `lab check`'s time goes, and whether any row times out beside busy processes; with
--baseline REV the same commands of an earlier git revision are timed in the same run.
Writes reports/bench/commands.{json,md}."""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from lab.bench.commands import COMMANDS, measure, time_commands, write
from lab.report.bench_commands import page

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--baseline", metavar="REV", help="also time this git revision (e.g. a commit)")
    p.add_argument("--warm-runs", type=int, default=2, help="warm runs per command")
    p.add_argument("--only", nargs="+", choices=[c.name for c in COMMANDS], default=(),
                   help="time only these commands")
    p.add_argument("--no-busy", action="store_true", help="skip the run beside busy processes")
    p.add_argument("--out", default="reports/bench", help="folder for commands.json and commands.md")
    a = p.parse_args()
    m = measure(warm_runs=a.warm_runs, only=tuple(a.only), busy=not a.no_busy)
    if a.baseline:
        with tempfile.TemporaryDirectory(prefix="lab-baseline-") as tmp:
            subprocess.run(["git", "worktree", "add", "--detach", tmp, a.baseline], check=True,
                           capture_output=True)
            try:
                m.timings += time_commands(f"{a.baseline[:12]}", Path(tmp), a.warm_runs, tuple(a.only))
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", tmp], check=False)
    write(Path(a.out), m, page(m))
    for t in m.timings:
        print(f"{t.revision:>12}  {t.name:34s} cold {t.cold_s:6.2f} s  warm {t.warm_median_s:6.2f} s"
              f"  {t.verdict}")
    print(f"warm session: {m.warm_session}")
    sys.exit(0)
