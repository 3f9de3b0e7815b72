"""Benchmark sweep 'swell': symbolic against automatic differentiation on nested expressions and an
unrolled loop (derivative size, build time, evaluation time, error). Quick by default, --full for the
long one. Writes reports/bench/."""

import sys

from lab.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "--sweep", "swell", *sys.argv[1:]]))
