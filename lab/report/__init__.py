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
from lab.report.diffusion_page import diffusion_page
from lab.report.meta import header

PAGES: dict[str, tuple[str, Callable[[list[Row], Path], str]]] = {
    "polynomial.md": ("Polynomial p0…p4", pages.polynomial_page),
    "softmax.md": ("Softmax and its Jacobian", pages.softmax_page),
    "losses.md": ("Losses and their gradients", pages.losses_page),
    "finite-differences.md": ("Finite differences against step size", pages.finite_differences_page),
    "logic.md": ("McCulloch-Pitts logic", more_pages.logic_page),
    "graphs-and-breakage.md": ("Computation graphs, the tape, and where methods break",
                               more_pages.breakage_page),
    "diffusion.md": ("Stable Diffusion: counts, sampling loop, safety checker", diffusion_page),
    "errata.md": ("Course errata", lambda rows, out: errata.write(rows)),
}
NOT_YET: list[str] = []


def write_report(out: Path, quick: bool = True) -> list[Path]:
    """Write every page under `out`; return the files written."""
    from lab import benchreport

    out.mkdir(parents=True, exist_ok=True)
    bench = out / "bench"
    if not quick and not benchreport.fresh(bench):
        with progress("benchmarks (quick sweeps)", benchreport.steps()) as advance:
            benchreport.run_all(bench, advance=advance)
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
        (out / "README.md").write_text(index(rows, *_bench_link(out)), encoding="utf-8")
        advance()
    return [out / "README.md", out / "crosscheck.md", *written]


def _bench_link(out: Path) -> tuple[str, str]:
    """(link line, not-available line): the benchmark summary if one was measured here."""
    if (out / "bench" / "README.md").is_file():
        return "- [Benchmarks: time and derivative/primal ratios](bench/README.md)\n", ""
    return "", "- Benchmarks (run `lab bench`, or `lab report` without --quick)\n"


def index(rows: list[Row], bench_link: str = "", bench_missing: str = "") -> str:
    bad = [r for r in rows if not r.ok]
    errata = sum(r.expected != "agree" for r in rows)
    verdict = (f"**{len(bad)} rows are not as expected.**" if bad else
               f"All {len(rows)} rows are as expected: every backend agrees with the exact reference "
               "within its tolerance, or says why it cannot compute a derivative"
               + (f"; {errata} closed form(s) from the course disagree, as recorded in the "
                  "[errata](errata.md)." if errata else "."))
    links = "\n".join(f"- [{title}]({name})" for name, (title, _) in PAGES.items())
    return (header("lab report") + verdict + "\n\n## Exercise × backend\n\n"
            "Each cell: the verdict over all cases and derivative orders of the exercise, and the "
            "largest error ρ = |x − y| / max(1, |x| + |y|) against SymPy's derivative evaluated by "
            "mpmath at 40 digits.\n\n" + summary_table(rows)
            + "\n## Pages\n\n" + links + "\n- [Every cross-check row](crosscheck.md)\n" + bench_link
            + ("\n## Not available yet\n\n" + "".join(f"- {n}\n" for n in NOT_YET) + bench_missing
               if NOT_YET or bench_missing else ""))
