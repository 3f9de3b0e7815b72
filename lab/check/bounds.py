"""The bounds of a question to `lab diff` and `lab.diff`, apart from the check itself so that the
command line's --help names them without importing SymPy or numpy."""

MAX_ORDER = 8  # derivative orders 1 … MAX_ORDER
MAX_POINTS = 10_000  # points of one question
