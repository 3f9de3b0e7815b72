"""`lab bench`: the benchmark sweeps, each written as JSON, markdown and plots."""

from __future__ import annotations

import argparse
import sys

# The sweeps `lab bench` runs (lab.bench.families.FAMILIES' keys; a test keeps them equal), known
# here so that a wrong name is refused before torch and JAX load.
SWEEPS = ("polynomial", "softmax_jacobian", "loss_gradients", "symbolic", "modes", "swell", "gradbench")
OUT = "reports/bench"


def add_parser(sub) -> None:
    """Register `lab bench`."""
    b = sub.add_parser("bench", help="time every way of differentiating against the primal",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Run the benchmark sweeps (quick by default) and write JSON, "
                       "markdown and log-log plots. Each row times a registry method's prepared "
                       "call (what `lab check` validates) after its first call (compile/trace, "
                       "reported apart); median and IQR of repeated runs; targets decided only "
                       "when their interval clears the threshold, and not on a busy machine. A "
                       "partial run (--sweep) rewrites only its own sweeps. Progress goes to "
                       "stderr: a bar on a terminal, one line per step otherwise.")
    b.add_argument("--full", action="store_true", help="the long sweeps (sizes up to 10^7)")
    b.add_argument("--sweep", nargs="+", action="extend", metavar="NAME", choices=SWEEPS,
                   default=None, help=f"only these ({', '.join(SWEEPS)}); all when not given")
    b.add_argument("--out", default=OUT, metavar="DIR", help="the folder to write")
    b.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check --out before any work, run the sweeps, write their pages and the summary."""
    from lab.bench import records
    from lab.output.terminal import printable, progress
    from lab.report import bench_summary

    out = records.check_out(args.out)
    only = list(dict.fromkeys(args.sweep)) if args.sweep else None
    lines = not sys.stderr.isatty()

    def say(line: str) -> None:
        if lines:
            print(f"lab bench: {printable(line)}", file=sys.stderr, flush=True)

    with progress("benchmarks", records.steps(args.full, only)) as advance:
        results = bench_summary.run_all(out, full=args.full, only=only, advance=advance, say=say)
    print(f"wrote {len(results)} sweeps under {printable(out)}/ (summary: {printable(out / 'README.md')})")
    return 0
