"""`lab report`: the markdown reports with figures, written into place atomically."""

from __future__ import annotations

import argparse

from lab.errors import LabError

# Measured for the README's "Two commands" (2 cores, nothing else running): keep both in step.
DURATION = ("about 9 minutes on 2 cores, of which the cross-check takes most; about 25 when "
            "every benchmark sweep is rerun first")


def add_parser(sub) -> None:
    """Register `lab report`."""
    r = sub.add_parser("report", help="write the markdown reports with figures and the HTML site",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Run the cross-check and the studies and write markdown pages "
                       "with PNG figures, a CSV of every row and a static HTML site (DIR/site/"
                       f"index.html: interactive figures, no network needed) — {DURATION}. The "
                       "pages are written into a temporary folder and moved into place at the end: "
                       "an interrupted run leaves the previous report whole. A folder that lab did "
                       "not write is refused. Off a terminal, each stage is printed on one line of "
                       "stderr.")
    r.add_argument("--out", default="reports", metavar="DIR", help="output folder")
    r.add_argument("--quick", action="store_true",
                   help="never run the benchmark sweeps: link the ones under DIR/bench if any. "
                        "Without it, the quick sweeps whose results under DIR/bench are missing or "
                        "were measured with other library versions run first")
    r.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check --out before any work, then write every page."""
    from lab.output.folders import REPORT_LEGACY, check_writable
    from lab.output.terminal import printable

    try:
        out = check_writable(args.out, legacy=REPORT_LEGACY)
    except LabError as e:
        raise LabError(f"--out: {e}") from None
    from lab.report import write_report

    files = write_report(out, quick=args.quick)
    print(f"wrote {len(files)} pages under {printable(out)}/ (start at {printable(out / 'README.md')})")
    return 0
