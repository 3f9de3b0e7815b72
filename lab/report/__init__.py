"""`lab report`: run the cross-check and the studies, write markdown pages and figures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lab.backends import METHODS
from lab.console import progress
from lab.crosscheck import Row, check
from lab.exercises import all_cases
from lab.report import errata, more_pages, pages
from lab.report.crosscheck_pages import notes, per_case_table, summary_table
from lab.report.meta import header

PAGES: dict[str, tuple[str, Callable[[list[Row], Path], str]]] = {
    "polynomial.md": ("Polynomial p0…p4", pages.polynomial_page),
    "softmax.md": ("Softmax and its Jacobian", pages.softmax_page),
    "losses.md": ("Losses and their gradients", pages.losses_page),
    "finite-differences.md": ("Finite differences against step size", pages.finite_differences_page),
    "logic.md": ("McCulloch-Pitts logic", more_pages.logic_page),
    "graphs-and-breakage.md": ("Computation graphs, the tape, and where methods break",
                               more_pages.breakage_page),
    "errata.md": ("Course errata", lambda rows, out: errata.write(rows)),
}
NOT_YET = [
    "Stable Diffusion: component table, sampling loop, safety checker",
    "Benchmarks",
]


def write_report(out: Path, quick: bool = True) -> list[Path]:
    """Write every page under `out`; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    cases = all_cases()
    with progress("report", len(cases) + len(PAGES) + 1) as advance:
        rows = check(cases, METHODS, progress=lambda case: advance())
        written = []
        for name, (_, page) in PAGES.items():
            (out / name).write_text(page(rows, out), encoding="utf-8")
            written.append(out / name)
            advance()
        (out / "crosscheck.md").write_text(
            header("Cross-check: every row") + per_case_table(rows) + "\n" + notes(rows),
            encoding="utf-8")
        (out / "README.md").write_text(index(rows), encoding="utf-8")
        advance()
    return [out / "README.md", out / "crosscheck.md", *written]


def index(rows: list[Row]) -> str:
    bad = [r for r in rows if not r.ok]
    verdict = (f"**{len(bad)} rows are not as expected.**" if bad else
               f"All {len(rows)} rows are as expected: every backend agrees with the exact reference "
               "within its tolerance, or says why it cannot compute a derivative; the one closed form "
               "that disagrees is a known course erratum.")
    links = "\n".join(f"- [{title}]({name})" for name, (title, _) in PAGES.items())
    return (header("lab report") + verdict + "\n\n## Exercise × backend\n\n"
            "Each cell: the verdict over all cases and derivative orders of the exercise, and the "
            "largest error ρ = |x − y| / max(1, |x| + |y|) against SymPy's derivative evaluated by "
            "mpmath at 40 digits.\n\n" + summary_table(rows)
            + "\n## Pages\n\n" + links + "\n- [Every cross-check row](crosscheck.md)\n\n"
            "## Not available yet\n\n" + "\n".join(f"- {n}" for n in NOT_YET) + "\n")
