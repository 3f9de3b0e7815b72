"""The `lab` command line: one module per command; each imports what is heavy (torch, JAX,
diffusers) only when it runs, so that `--help` and argument errors answer at once."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings

from lab import interrupts
from lab.cli import bench, check, diff, gradbench, report, sd
from lab.cli.arguments import Parser
from lab.errors import LabError
from lab.output.terminal import fail_line

COMMANDS = (check, diff, report, bench, sd, gradbench)


def _version() -> str:
    from lab.meta import lab_version

    return lab_version()


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (imports nothing heavy)."""
    p = Parser(prog="lab", formatter_class=argparse.RawDescriptionHelpFormatter, description=(
        "Compute every derivative of the course several ways (SymPy, finite differences, torch, "
        "JAX, a numpy tape, closed forms), check them against a certified exact reference, "
        "benchmark and report."), epilog="start with: lab report   (then open reports/README.md)\n"
        "           lab diff 'x**2*sin(x)' --order 2 --at 0.5,1\n"
        "           lab check --exercise softmax --backend jax")
    p.add_argument("--version", action="version", version=f"lab {_version()}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return p


DIFF_OPTIONS = ("-h", "--help", "--wrt", "--order", "--at", "--backend", "--json", "--timeout",
                "--gradient", "--hessian", "--direction", "--jobs", "--compile-timeout", "--deadline",
                "--memory")


def _join_negative_values(argv: list[str]) -> list[str]:
    """argparse reads a value or an expression that starts with "-" as an option: "--at -1,0,2"
    means "--at=-1,0,2" (--direction likewise), and in `lab diff '-x**2'` the expression is
    "-x**2" (moved after "--")."""
    joined, expression, i = [], [], 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            joined += argv[i:]
            break
        if token in ("--at", "--direction") and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            joined.append(f"{token}={argv[i + 1]}")
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
    """Run one command; exit status 0/1 as the command says, 2 on bad input, 130 on Ctrl-C."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    interrupts.install()
    command = "lab"
    try:
        args = build_parser().parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
        command = f"lab {args.command}"
        status = args.run(args)
        interrupts.checkpoint()  # a Ctrl-C some library swallowed still ends the run as one
        sys.stdout.flush()  # a reader gone (`| head -1`) shows here, not at exit as a traceback
        return status
    except BrokenPipeError:
        return _reader_gone()
    except LabError as e:
        fail_line(f"{command}: error: {e}")
        return 2
    except KeyboardInterrupt:
        fail_line(f"{command}: interrupted")
        return 130


def _reader_gone() -> int:
    """What `lab … | head -1` ends with once head has gone: no traceback, and nothing more written
    (stdout now leads nowhere, so that the flush at exit cannot fail again); the status of a
    process ended by SIGPIPE."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout without a file descriptor (captured by a test)
        pass
    return 128 + signal.SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
