"""`lab check`: the cross-check of every backend on every exercise, as a table or JSON."""

from __future__ import annotations

import argparse

from lab.cli.arguments import add_worker_options, check_names


def add_parser(sub) -> None:
    """Register `lab check`."""
    c = sub.add_parser("check", help="cross-check every backend on every exercise",
                       description="Run every backend on every exercise and compare each value "
                       "with the certified exact reference. Exit status 0 when every verdict is "
                       "honest (agree, inaccurate, undefined, overflow, unsupported, or a known "
                       "course erratum), 1 if any row disagrees, errors, times out or is "
                       "uncertified, 2 on bad input.")
    c.add_argument("--exercise", nargs="+", action="extend", metavar="NAME",
                   help="only these exercises (default: all; --list lists them)")
    c.add_argument("--backend", nargs="+", action="extend", metavar="NAME",
                   help="only these backends (e.g. torch) or variants (e.g. finite.central); "
                        "closed forms are included only when no backend is named or 'closed_form' "
                        "is (default: all)")
    c.add_argument("--list", action="store_true", help="list the exercises and backends, and stop")
    c.add_argument("--json", action="store_true",
                   help="print one JSON object (schema lab.check, documented in the README)")
    add_worker_options(c, timeout=30.0)
    c.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Validate the names, cross-check, print; exit status as the help says."""
    from lab import backends
    from lab.exercises import EXERCISES

    if args.list:
        return _list(EXERCISES)
    check_names(args.exercise, list(EXERCISES), "exercise")
    check_names(args.backend, backends.valid_names(), "backend")
    from lab.api import check
    from lab.cli.arguments import pool_of
    from lab.cli.show import print_result
    from lab.output.terminal import progress

    pool = pool_of(args)
    total = _task_count(args, EXERCISES, backends)
    with progress("cross-checking", total) as advance:
        result = check(args.exercise, args.backend, workers=pool, progress=lambda _: advance())
    if args.json:
        print(result.to_json())
    else:
        print_result(result)
    return 0 if result.ok else 1


def _task_count(args, exercises, backends) -> int:
    from lab.core.cases import order_of

    cases = [c for name in (args.exercise or exercises) for c in exercises[name]()]
    per = len(backends.labels([b for b in args.backend or () if b != "closed_form"] or None)) + 1
    return sum(len(c.orders if c.kind == "derivative" else (order_of(c.kind),)) * (per + len(c.closed_forms))
               for c in cases)


def _list(exercises) -> int:
    from lab import backends
    from lab.output.terminal import out, table

    out.print(table("Exercises", ["exercise", "cases", "what"],
                    [(name, len(build()), _first_line(build.__doc__)) for name, build in exercises.items()]))
    out.print(table("Backends", ["backend", "variants", "family", "worker"],
                    [(b, ", ".join(backends.VARIANTS[b]), backends.FAMILIES[b],
                      backends.worker_of(f"{b}.{backends.VARIANTS[b][0]}")) for b in backends.BACKENDS]))
    return 0


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""
