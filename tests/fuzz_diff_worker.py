"""Runs `lab diff` on each expression read from stdin (a JSON list) in this one process, and prints
one JSON record per expression: its exit status, whether stdout was valid JSON, and any exception
that escaped `main` (there should be none). Used by test_fuzz.py under a time watch, with its own
memory limit."""

import contextlib
import io
import json
import resource
import sys
import time

# Address space: enough for numpy, SciPy and SymPy, not for a runaway. Set here rather than by the
# test between fork and exec, which is unsafe in a parent running JAX's threads.
MEMORY_LIMIT = 6 * 1024**3
resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

from lab.cli import main  # noqa: E402  (imported under the limit)


def run(text: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    escaped = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(["diff", text, "--at", "0.5,-1.5", "--order", "2", "--backend", "sympy",
                       "finite.central", "tape", "--timeout", "3", "--json"])
        except SystemExit as e:
            rc = e.code
        except BaseException as e:  # noqa: BLE001 — what the test is looking for
            rc, escaped = -1, f"{type(e).__name__}: {e}"
    try:
        json.loads(out.getvalue())
        valid_json = True
    except ValueError:
        valid_json = False
    return {"text": text, "rc": rc, "json": valid_json, "stderr": err.getvalue()[-500:],
            "escaped": escaped, "seconds": time.monotonic() - start}


if __name__ == "__main__":
    for text in json.load(sys.stdin):
        print(json.dumps(run(text)), flush=True)
