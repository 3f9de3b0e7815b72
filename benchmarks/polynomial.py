"""Benchmark sweep 'polynomial': quick by default, --full for the long one. Writes reports/bench/."""

import sys

from lab.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "--sweep", "polynomial", *sys.argv[1:]]))
