"""`lab diff`: its arguments (light; the work is in `lab.cli.diff_run`)."""

from __future__ import annotations

import argparse

from lab.check.bounds import MAX_ORDER, MAX_POINTS
from lab.cli.arguments import add_worker_options, check_names


def add_parser(sub) -> None:
    """Register `lab diff`."""
    d = sub.add_parser("diff", formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="differentiate your own expression with every backend",
                       description="Differentiate EXPR (numbers, variables, + - * / ** ^ and "
                       "exp log ln log2 log10 log1p expm1 sqrt sin cos tan asin acos atan sinh "
                       "cosh tanh asinh acosh atanh erf abs sign relu max min pow sigmoid; "
                       "constants pi, e; integer exponents up to ±1000) with every backend and "
                       "compare each value with the certified exact reference of the expression "
                       "as typed (a decimal is taken exactly). Where the derivative does not exist "
                       "(abs, sign, relu at 0; max, min where arguments tie) the verdict is "
                       "'undefined'. The text is parsed with a whitelist; nothing in it is executed. "
                       "Exit status 0 when every verdict is honest, 1 if a backend disagrees, "
                       "errors or times out, 2 on bad input.",
                       epilog="examples: lab diff 'x**4 - 2*x**3' --order 2 --at -1,0,2.5\n"
                       "          lab diff 'x*exp(y)' --wrt y --at 'x=1,y=0;x=2,y=1' --json\n"
                       "          lab diff 'sin(x)' --at 'pi/2,sqrt(2)' --backend torch jax\n"
                       "          lab diff 'x*y + sin(x)' --hessian --at 'x=1,y=2' --json\n"
                       "          lab diff 'max(x, y)*log1p(y)' --direction 'x=1,y=-1' --at 'x=1,y=2'")
    d.add_argument("expression", metavar="EXPR", help="the expression, e.g. 'x**2*sin(x)' (quote it "
                   "for the shell); one that starts with '-' is read as the expression too")
    d.add_argument("--wrt", metavar="VAR", help="the variable to differentiate by (needed when "
                   "there are several; default: the only one)")
    d.add_argument("--order", type=int, default=1, metavar="K",
                   help=f"derivative order, 1 to {MAX_ORDER} (default: %(default)s)")
    d.add_argument("--at", default="0.5,1,2", metavar="POINTS",
                   help="points: '0.5,1,2' for one variable, 'x=1,y=2;x=3,y=4' for several; "
                        f"constant expressions such as pi/2 are allowed; at most {MAX_POINTS} "
                        "(default: %(default)s)")
    d.add_argument("--backend", nargs="+", action="extend", metavar="NAME",
                   help="only these backends or variants, e.g. torch finite.central (default: all; "
                        "`lab check --list` lists them)")
    field = d.add_mutually_exclusive_group()
    field.add_argument("--gradient", action="store_true",
                       help="the gradient over all the variables instead of one derivative")
    field.add_argument("--hessian", action="store_true",
                       help="the Hessian over all the variables instead of one derivative")
    field.add_argument("--direction", metavar="V",
                       help="the directional derivative d/dt EXPR(x + t*V) at t = 0 (= gradient·V "
                            "where EXPR is differentiable; V is not normalized): '1,2' in the order "
                            "of the variables' names, or 'x=1,y=2'; constant expressions allowed (default: "
                            "none, the derivative by --wrt)")
    d.add_argument("--json", action="store_true",
                   help="print one JSON object (schema lab.diff, documented in the README)")
    add_worker_options(d, timeout=30.0)
    d.set_defaults(run=command)


def command(args: argparse.Namespace) -> int:
    """Validate the backend names, then run (`lab.cli.diff_run`)."""
    from lab.backends import valid_names
    from lab.cli.diff_run import run

    check_names(args.backend, valid_names(), "backend")
    return run(args)
