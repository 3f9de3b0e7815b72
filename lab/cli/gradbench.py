"""`lab gradbench tool` and `lab gradbench check`: the lab's backends as a gradbench tool, and a
gradbench log re-checked against the certified reference."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from lab.cli.arguments import Parser, check_names
from lab.errors import LabError
from lab.output.terminal import escaped, fmt_error, out, table

DEFAULT_BACKEND = "tape"
DEFAULT_MAX_SIZE = 500


def add_parser(sub) -> None:
    """Register `lab gradbench` and its two subcommands."""
    g = sub.add_parser("gradbench", help="speak gradbench's protocol: be a tool, check a log",
                       description="gradbench (github.com/gradbench/gradbench) benchmarks "
                       "differentiation tools through evals that talk to a tool in JSON lines. "
                       "The lab speaks the evals hello, lse and llsq.")
    commands = g.add_subparsers(dest="gradbench_command", required=True, parser_class=Parser)
    tool = commands.add_parser("tool", help="answer a gradbench eval on stdin/stdout",
                               description="A gradbench tool on stdin/stdout for the evals hello, "
                               "lse and llsq: derivatives by one backend variant, values by the "
                               "program on numpy; each evaluate runs min_runs times and for "
                               "min_seconds, one timing per run in nanoseconds.")
    tool.add_argument("--backend", default=DEFAULT_BACKEND, metavar="NAME",
                      help="a backend (its first variant) or a variant, e.g. jax or jax.jit "
                           "(default: %(default)s)")
    tool.add_argument("--timeout", type=float, default=300.0, metavar="S",
                      help="longest one run may take, in seconds, 0 for no limit; past it the "
                           "evaluate fails with that reason (default: %(default)g)")
    tool.set_defaults(run=run_tool)
    check = commands.add_parser("check", help="re-check a gradbench log against the exact reference",
                                description="Read a gradbench log (the intermediary's JSON-lines "
                                "record of a run), compare the output of every evaluate message "
                                "whose input has at most --max-size terms with the certified exact "
                                "reference, and print per message ρ, the tolerance and a verdict. "
                                "Exit status 0 when every verdict is honest, 1 if an output "
                                "disagrees or the tool failed, 2 on bad input.")
    check.add_argument("log", type=Path, metavar="LOG", help="the log file (JSON lines, as "
                       "gradbench's intermediary writes it)")
    check.add_argument("--max-size", type=int, default=DEFAULT_MAX_SIZE, metavar="N",
                       help="largest input re-checked, in terms: len(x) for lse, n*m for llsq; "
                            "the reference's cost grows faster than the input (default: %(default)s)")
    check.add_argument("--timeout", type=float, default=120.0, metavar="S",
                       help="the reference's time budget per message, in seconds "
                            "(default: %(default)g)")
    check.add_argument("--json", action="store_true", help="print one JSON object (schema "
                       "lab.gradbench.check, documented in the README)")
    check.set_defaults(run=run_check)


def run_tool(args: argparse.Namespace) -> int:
    """Serve one backend variant until the eval ends."""
    from lab import backends

    check_names([args.backend], [n for n in backends.valid_names() if n != "closed_form"],
                "backend")
    if not 0 <= args.timeout < math.inf:
        raise LabError("--timeout must be a number of seconds, 0 for no limit")
    from lab.interop.gradbench_tool import serve_stdio
    from lab.meta import lab_version

    method = backends.select([args.backend])[0]
    serve_stdio(method, args.timeout or None, lab_version())
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Re-check the log; exit status as the help says."""
    if args.max_size < 0:
        raise LabError("--max-size must be 0 or more")
    if not 0 < args.timeout < math.inf:
        raise LabError("--timeout must be a positive number of seconds")
    from lab.interop.gradbench_log import check_log

    result = check_log(args.log, args.max_size, args.timeout)
    if args.json:
        from lab.meta import lab_version
        from lab.schemas import head

        ok = all(r.ok for r in result.rows)
        print(json.dumps(head("lab.gradbench.check", lab_version()) | {"ok": ok} | result.as_json(),
                         allow_nan=False))
    else:
        _print(result)
    return 0 if all(r.ok for r in result.rows) else 1


def _print(result) -> None:
    who = f"eval {result.eval or '?'}, tool {result.tool or '?'}"
    out.print(table(f"gradbench log ({escaped(who)}) against the exact reference "
                    "(ρ = |x−y| / max(1, |x|+|y|))",
                    ["id", "function", "input", "terms", "max ρ", "tolerance", "verdict",
                     "gradbench"],
                    [(r.id, escaped(f"{r.module}::{r.function}"), escaped(r.description),
                      "-" if r.size is None else r.size, fmt_error(r.max_error),
                      fmt_error(r.tolerance), r.verdict, r.gradbench or "-")
                     for r in result.rows]))
    notes = [r for r in result.rows if r.detail]
    if notes or result.notes:
        out.print("\n[bold]Notes[/bold]")
        for r in notes:
            out.print(escaped(f"- message {r.id} [{r.verdict}]: {r.detail}"))
        for note in result.notes:
            out.print(escaped(f"- {note}"))
    counts = {v: sum(r.verdict == v for r in result.rows)
              for v in dict.fromkeys(r.verdict for r in result.rows)}
    # What a flat 10⁻⁴ lets through: answers gradbench's own analysis called valid.
    missed = [r.id for r in result.rows if r.gradbench == "valid" and r.verdict == "disagree"]
    out.print(f"\n{len(result.rows)} evaluate messages: "
              + (", ".join(f"{n} {v}" for v, n in counts.items()) or "none")
              + (f". gradbench's analysis called {len(missed)} valid that disagree with the exact "
                 f"reference: messages {', '.join(map(str, missed))}." if missed else "."))
