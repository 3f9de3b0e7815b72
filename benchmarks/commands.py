"""How long lab's commands take (cold and warm cache), beside the targets; with --baseline REV the
same commands of an earlier git revision are timed in the same run. Writes reports/bench/commands.*"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from lab.bench.commands import COMMANDS, time_commands, write

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--baseline", metavar="REV", help="also time this git revision (e.g. a commit)")
    p.add_argument("--warm-runs", type=int, default=2)
    p.add_argument("--only", nargs="+", choices=[name for name, _, _ in COMMANDS], default=())
    p.add_argument("--out", default="reports/bench")
    a = p.parse_args()
    timings = time_commands(warm_runs=a.warm_runs, only=tuple(a.only))
    if a.baseline:
        with tempfile.TemporaryDirectory(prefix="lab-baseline-") as tmp:
            subprocess.run(["git", "worktree", "add", "--detach", tmp, a.baseline], check=True,
                           capture_output=True)
            try:
                timings += time_commands(f"{a.baseline[:12]}", Path(tmp), a.warm_runs, tuple(a.only))
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", tmp], check=False)
    write(Path(a.out), timings)
    for t in timings:
        print(f"{t.revision:>12}  {t.name:28s} cold {t.cold_s:6.2f} s  warm {t.warm_median_s:6.2f} s")
    sys.exit(0)
