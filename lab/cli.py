"""The `lab` command line: check, diff, report, bench, sd."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from lab.console import LabError, fail_line, fmt_error, out, progress, table


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        fail_line(f"{self.prog}: error: {message} (see --help)")
        sys.exit(2)


def _check_names(given: list[str] | None, valid: list[str], what: str) -> None:
    unknown = [n for n in given or [] if n not in valid]
    if unknown:
        raise LabError(f"unknown {what} {', '.join(map(repr, unknown))}; "
                       f"valid: {', '.join(valid)}")


def cmd_check(args: argparse.Namespace) -> int:
    from lab import backends
    from lab.crosscheck import check
    from lab.exercises import EXERCISES, all_cases

    _check_names(args.exercise, list(EXERCISES), "exercise")
    _check_names(args.backend, backends.valid_names(), "backend")
    cases = all_cases(args.exercise)
    methods = backends.select(args.backend)
    with progress("cross-checking", len(cases)) as advance:
        rows = check(cases, methods, closed_forms=not args.backend or "closed_form" in args.backend,
                     progress=lambda case: advance())
    if args.json:
        print("[\n" + ",\n".join(json.dumps(r.as_json()) for r in rows) + "\n]")
    else:
        _print_rows(rows)
    return 0 if all(r.ok for r in rows) else 1


def _print_rows(rows) -> None:
    def verdict(r):
        return f"{r.verdict} (expected: course erratum)" if r.expected != "agree" and r.ok else r.verdict

    out.print(table("Cross-check against the exact reference (ρ = |x−y| / max(1, |x|+|y|))",
                    ["exercise", "case", "backend", "variant", "order", "max ρ", "tolerance",
                     "verdict"],
                    [(r.exercise, r.case, r.backend, r.variant, r.order, fmt_error(r.max_error),
                      fmt_error(r.tolerance), verdict(r)) for r in rows]))
    notes = [r for r in rows if r.detail]
    if notes:
        out.print("\n[bold]Notes[/bold]")
        for r in notes:
            out.print(f"- {r.case} / {r.backend}.{r.variant} order {r.order} [{r.verdict}]: "
                      f"{r.detail}", markup=False)
    bad = [r for r in rows if not r.ok]
    counts = {v: sum(r.verdict == v for r in rows) for v in dict.fromkeys(r.verdict for r in rows)}
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    out.print(f"\n{len(rows)} rows: {summary}. "
              + (f"{len(bad)} unexpected." if bad else "Every row is as expected."))


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="lab", description=(
        "Compute every derivative of the course several ways (SymPy, finite differences, torch, "
        "JAX, closed forms), check them against an exact reference, benchmark and report."))
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="cross-check every backend on every exercise",
                       description="Run every backend on every exercise and compare each value "
                       "with the exact reference (SymPy + mpmath at 40 digits). Exit status 1 if "
                       "any row disagrees or errors (known course errata excepted), 2 on bad input.")
    c.add_argument("--exercise", nargs="+", metavar="NAME", help="only these exercises")
    c.add_argument("--backend", nargs="+", metavar="NAME",
                   help="only these backends (e.g. torch) or variants (e.g. finite.central); "
                        "closed forms are included only when no backend is named or 'closed_form' is")
    c.add_argument("--json", action="store_true", help="print a JSON array, one object per row")
    c.set_defaults(run=cmd_check)
    return p


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except LabError as e:
        fail_line(f"lab {args.command}: error: {e}")
        return 2
    except KeyboardInterrupt:
        fail_line("lab: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
