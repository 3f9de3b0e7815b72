"""`lab check`: the cross-check of every backend on every exercise, as a table or JSON."""

from __future__ import annotations

import argparse
import json

from lab.cli.arguments import check_names
from lab.output.terminal import escaped, fmt_error, out, progress, table


def add_parser(sub) -> None:
    """Register `lab check`."""
    c = sub.add_parser("check", help="cross-check every backend on every exercise",
                       description="Run every backend on every exercise and compare each value "
                       "with the certified exact reference. Exit status 0 when every verdict is "
                       "honest (agree, inaccurate, undefined, overflow, unsupported, or a known "
                       "course erratum), 1 if any row disagrees, errors, times out or is "
                       "uncertified, 2 on bad input.")
    c.add_argument("--exercise", nargs="+", action="extend", metavar="NAME",
                   help="only these exercises")
    c.add_argument("--backend", nargs="+", action="extend", metavar="NAME",
                   help="only these backends (e.g. torch) or variants (e.g. finite.central); "
                        "closed forms are included only when no backend is named or 'closed_form' is")
    c.add_argument("--json", action="store_true", help="print a JSON array, one object per row")
    c.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Validate the names, cross-check, print; exit status as the help says."""
    from lab import backends
    from lab.exercises import EXERCISES

    check_names(args.exercise, list(EXERCISES), "exercise")
    check_names(args.backend, backends.valid_names(), "backend")
    from lab.check.crosscheck import check
    from lab.exercises import all_cases

    cases = all_cases(list(dict.fromkeys(args.exercise)) if args.exercise else None)
    methods = backends.select(args.backend)
    with progress("cross-checking", len(cases)) as advance:
        rows = check(cases, methods, closed_forms=not args.backend or "closed_form" in args.backend,
                     progress=lambda case: advance())
    if args.json:
        print("[\n" + ",\n".join(json.dumps(r.as_json(), allow_nan=False) for r in rows) + "\n]")
    else:
        _print_rows(rows)
    return 0 if all(r.ok for r in rows) else 1


def _print_rows(rows) -> None:
    def verdict(r):
        return f"{r.verdict} (expected: course erratum)" if r.expected != "agree" and r.ok else r.verdict

    out.print(table("Cross-check against the exact reference (ρ = |x−y| / max(1, |x|+|y|))",
                    ["exercise", "case", "backend", "variant", "order", "max ρ", "tolerance",
                     "verdict"],
                    [(r.exercise, escaped(r.case), r.backend, escaped(r.variant), r.order,
                      fmt_error(r.max_error), fmt_error(r.tolerance), verdict(r)) for r in rows]))
    notes = [r for r in rows if r.detail]
    if notes:
        out.print("\n[bold]Notes[/bold]")
        for r in notes:
            out.print(escaped(f"- {r.case} / {r.backend}.{r.variant} order {r.order} [{r.verdict}]: "
                              f"{r.detail}"))
    bad = [r for r in rows if not r.ok]
    counts = {v: sum(r.verdict == v for r in rows) for v in dict.fromkeys(r.verdict for r in rows)}
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    out.print(f"\n{len(rows)} rows: {summary}. "
              + (f"{len(bad)} unexpected." if bad else "Every row is as expected."))
