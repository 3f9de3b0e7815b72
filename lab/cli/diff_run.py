"""`lab diff`'s work: read the question, run the cross-check in workers, print a table or JSON.
Imported only when the command runs."""

from __future__ import annotations

import argparse

from lab.backends import labels
from lab.check.asking import ask
from lab.check.diff import differentiate
from lab.cli.arguments import pool_of
from lab.cli.show import print_result


def run(args: argparse.Namespace) -> int:
    """Parse, cross-check and print; exit status 0 when every verdict is honest, 1 otherwise.
    Everything the user typed is checked before any worker starts."""
    mode = ("gradient" if args.gradient else "hessian" if args.hessian
            else "directional" if args.direction is not None else "derivative")
    parsed, subject, wrt, direction = ask(args.expression, mode, args.wrt, args.order, args.at,
                                          args.direction)
    pool = pool_of(args)
    result = differentiate(args.expression, parsed, subject, labels(args.backend), pool,
                           args.timeout, wrt, direction)
    if args.json:
        print(result.to_json())
    else:
        print_result(result)
    return 0 if result.ok else 1
