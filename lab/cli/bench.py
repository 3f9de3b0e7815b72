"""`lab bench`: the benchmark sweeps, each written as JSON, markdown and plots."""

from __future__ import annotations

import argparse

# The sweeps `lab bench` runs (lab.bench.summary.QUICK's keys; a test keeps them equal), known
# here so that a wrong name is refused before torch and JAX load.
SWEEPS = ("polynomial", "softmax_jacobian", "loss_gradients", "symbolic", "modes", "swell")


def add_parser(sub) -> None:
    """Register `lab bench`."""
    b = sub.add_parser("bench", help="time every way of differentiating against the primal",
                       description="Run the benchmark sweeps (quick by default: about 3 minutes "
                       "on 2 cores) and write JSON, markdown and log-log plots under reports/bench/. "
                       "Warm-up, synchronisation, compile time apart, median and IQR of repeated "
                       "runs; targets decided only when their interval clears the threshold. A "
                       "partial run (--sweep) rewrites only its own sweeps.")
    b.add_argument("--full", action="store_true", help="the long sweeps (sizes up to 10^7)")
    b.add_argument("--sweep", nargs="+", action="extend", metavar="NAME", choices=SWEEPS,
                   help=f"only these: {', '.join(SWEEPS)}")
    b.add_argument("--out", default="reports/bench", metavar="DIR")
    b.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check --out before any work, run the sweeps, rebuild the summary."""
    from lab.bench import summary
    from lab.output.terminal import printable, progress

    out = summary.check_out(args.out)
    only = list(dict.fromkeys(args.sweep)) if args.sweep else None
    with progress("benchmarks", summary.steps(args.full, only)) as advance:
        results = summary.run_all(out, full=args.full, only=only, advance=advance)
    print(f"wrote {len(results)} sweeps under {printable(out)}/ (summary: {printable(out / 'README.md')})")
    return 0
