"""Benchmark sweep 'modes' (forward against reverse mode, n·m fixed): quick by default, --full for
the long one. Writes reports/bench/."""

import sys

from lab.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "--sweep", "modes", *sys.argv[1:]]))
