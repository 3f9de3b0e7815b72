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
    cases = all_cases(list(dict.fromkeys(args.exercise)) if args.exercise else None)
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


def cmd_diff(args: argparse.Namespace) -> int:
    from lab import backends, diffcmd

    _check_names(args.backend, backends.valid_names(), "backend")
    return diffcmd.run(args.expression, args.wrt, args.order, args.at, args.backend, args.json,
                       args.timeout)


def cmd_report(args: argparse.Namespace) -> int:
    from lab.console import printable
    from lab.outdir import REPORT_LEGACY, check_writable

    # A bad --out fails now, in one line, not after the heavy imports and a minute of work.
    try:
        out = check_writable(args.out, legacy=REPORT_LEGACY)
    except LabError as e:
        raise LabError(f"--out: {e}") from None
    from lab.report import write_report

    files = write_report(out, quick=args.quick)
    print(f"wrote {len(files)} pages under {printable(out)}/ (start at {printable(out / 'README.md')})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lab import benchreport

    valid = list(benchreport.QUICK)
    _check_names(args.sweep, valid, "sweep")
    out = Path(args.out)
    with progress("benchmarks", benchreport.steps(args.full, args.sweep)) as advance:
        results = benchreport.run_all(out, full=args.full, only=args.sweep, advance=advance)
    print(f"wrote {len(results)} sweeps under {out}/ (summary: {out / 'README.md'})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="lab", formatter_class=argparse.RawDescriptionHelpFormatter, description=(
        "Compute every derivative of the course several ways (SymPy, finite differences, torch, "
        "JAX, a numpy tape, closed forms), check them against an exact reference, benchmark and "
        "report."), epilog="start with: lab report   (then open reports/README.md)\n"
        "           lab diff 'x**2*sin(x)' --order 2 --at 0.5,1\n"
        "           lab check --exercise softmax --backend jax")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="cross-check every backend on every exercise",
                       description="Run every backend on every exercise and compare each value "
                       "with the exact reference (SymPy + mpmath at 40 digits). Exit status 1 if "
                       "any row disagrees or errors (known course errata excepted), 2 on bad input.")
    c.add_argument("--exercise", nargs="+", action="extend", metavar="NAME", help="only these exercises")
    c.add_argument("--backend", nargs="+", action="extend", metavar="NAME",
                   help="only these backends (e.g. torch) or variants (e.g. finite.central); "
                        "closed forms are included only when no backend is named or 'closed_form' is")
    c.add_argument("--json", action="store_true", help="print a JSON array, one object per row")
    c.set_defaults(run=cmd_check)

    d = sub.add_parser("diff", formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="differentiate your own expression with every backend",
                       description="Differentiate EXPR (numbers, variables, + - * / ** ^ and "
                       "exp log ln sqrt sin cos tan asin acos atan sinh cosh tanh abs pow sigmoid; "
                       "constants pi, e) with every backend and compare with the exact reference. "
                       "The text is parsed with a whitelist; nothing in it is executed.",
                       epilog="examples: lab diff 'x**4 - 2*x**3' --order 2 --at -1,0,2.5\n"
                       "          lab diff 'x*exp(y)' --wrt y --at 'x=1,y=0;x=2,y=1' --json")
    d.add_argument("expression", metavar="EXPR")
    d.add_argument("--wrt", metavar="VAR", help="the variable to differentiate by (needed when "
                   "there are several)")
    d.add_argument("--order", type=int, default=1, metavar="K", help="derivative order (1-8)")
    d.add_argument("--at", default="0.5,1,2", metavar="POINTS",
                   help="points: '0.5,1,2' for one variable, 'x=1,y=2;x=3,y=4' for several")
    d.add_argument("--backend", nargs="+", action="extend", metavar="NAME",
                   help="only these backends or variants")
    d.add_argument("--json", action="store_true", help="print one JSON object")
    d.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help="seconds allowed to the exact reference and to each backend (default 10); "
                        "past it the verdict is 'timeout'")
    d.set_defaults(run=cmd_diff)

    r = sub.add_parser("report", help="write the markdown reports with figures",
                       description="Run the cross-check and the studies and write markdown pages "
                       "with PNG figures (about a minute on 2 cores).")
    r.add_argument("--out", default="reports", metavar="DIR", help="output folder (default reports/)")
    r.add_argument("--quick", action="store_true",
                   help="never run the benchmark sweeps: link the ones under DIR/bench if any. "
                        "Without it, the quick sweeps run unless DIR/bench holds results measured "
                        "with the libraries installed now")
    r.set_defaults(run=cmd_report)

    b = sub.add_parser("bench", help="time every way of differentiating against the primal",
                       description="Run the benchmark sweeps (quick by default: about 2-3 minutes "
                       "on 2 cores) and write JSON, markdown and log-log plots under reports/bench/. "
                       "Warm-up, synchronisation, compile time apart, median and IQR of repeated runs.")
    b.add_argument("--full", action="store_true", help="the long sweeps (sizes up to 10^7)")
    b.add_argument("--sweep", nargs="+", metavar="NAME",
                   help="only these: polynomial, softmax_jacobian, loss_gradients, symbolic")
    b.add_argument("--out", default="reports/bench", metavar="DIR")
    b.set_defaults(run=cmd_bench)

    try:
        from lab.diffusion.commands import add_parser
    except ImportError:  # the diffusion extra is not installed
        sd = sub.add_parser("sd", help="Stable Diffusion (needs: pip install -e '.[diffusion]')")
        sd.set_defaults(run=_no_diffusion)
    else:
        add_parser(sub)
    return p


def _no_diffusion(args: argparse.Namespace) -> int:
    raise LabError("the diffusion extra is not installed: pip install -e '.[diffusion]'")


DIFF_OPTIONS = ("-h", "--help", "--wrt", "--order", "--at", "--backend", "--json", "--timeout")


def _join_negative_values(argv: list[str]) -> list[str]:
    """argparse reads a value or an expression that starts with "-" as an option: "--at -1,0,2"
    means "--at=-1,0,2", and in `lab diff '-x**2'` the expression is "-x**2" (moved after "--")."""
    joined, expression, i = [], [], 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            joined += argv[i:]
            break
        if token == "--at" and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            joined.append(f"--at={argv[i + 1]}")
            i += 2
            continue
        if (argv[:1] == ["diff"] and token.startswith("-") and not expression
                and token.split("=")[0] not in DIFF_OPTIONS):
            expression.append(token)
        else:
            joined.append(token)
        i += 1
    return joined + (["--", *expression] if expression else [])


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", category=FutureWarning)
    args = build_parser().parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
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
