"""Benchmark sweep 'loss_gradients': quick by default, --full for the long one. Writes reports/bench/."""

import sys

from lab.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "--sweep", "loss_gradients", *sys.argv[1:]]))
