"""Benchmark sweep 'softmax_jacobian': quick by default, --full for the long one. Writes reports/bench/."""

import sys

from lab.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "--sweep", "softmax_jacobian", *sys.argv[1:]]))
