"""Benchmark sweep 'gradbench': the gradients of gradbench's lse and llsq evals at gradbench's sizes
and inputs, by every registry method (symbolic and finite-difference ones stop where their cost
says, with the reason on the page). Quick by default, --full for every size. Writes reports/bench/."""

import sys

from lab.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "--sweep", "gradbench", *sys.argv[1:]]))
