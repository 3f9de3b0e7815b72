"""What every command shares: a parser that fails in one line, and name validation."""

from __future__ import annotations

import argparse
import sys

from lab.errors import LabError
from lab.output.terminal import fail_line


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str):
        fail_line(f"{self.prog}: error: {message} (see --help)")
        sys.exit(2)


def check_names(given: list[str] | None, valid: list[str], what: str) -> None:
    """LabError naming every unknown name in `given` and listing the valid ones."""
    unknown = [n for n in given or [] if n not in valid]
    if unknown:
        raise LabError(f"unknown {what} {', '.join(map(repr, unknown))}; valid: {', '.join(valid)}")
