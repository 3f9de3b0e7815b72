"""`lab report`: compute every result once, then write markdown pages and figures from them.

The pages are written into a staged folder beside `out` and swapped in when all are done, so an
interrupted run leaves the previous report whole (lab.output.folders).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lab.output.folders import REPORT_LEGACY, check_writable, staged_folder
from lab.output.provenance import header
from lab.output.terminal import printable, progress
from lab.report.breakage_page import breakage_page
from lab.report.collect import build_cases, collect, studies
from lab.report.crosscheck_pages import (
    notes,
    per_case_table,
    rows_csv,
    summary_table,
    tolerance_policy,
    verdict_counts,
)
from lab.report.diffusion_page import diffusion_page
from lab.report.errata import errata_page
from lab.report.finite_differences_page import finite_differences_page
from lab.report.gradbench_page import gradbench_page
from lab.report.lecture_claims import claims_page
from lab.report.logic_page import logic_page
from lab.report.losses_page import losses_page
from lab.report.polynomial_page import polynomial_page
from lab.report.results import Results
from lab.report.site import HEATMAP_TOKEN, write_site
from lab.report.softmax_page import softmax_page

PAGES: dict[str, tuple[str, Callable[[Results, Path], str]]] = {
    "polynomial.md": ("Polynomial p0…p4", polynomial_page),
    "softmax.md": ("Softmax and its Jacobian", softmax_page),
    "losses.md": ("Losses and their gradients", losses_page),
    "finite-differences.md": ("Finite differences against step size", finite_differences_page),
    "gradbench.md": ("gradbench's lse and llsq: closed forms derived", gradbench_page),
    "logic.md": ("McCulloch-Pitts logic", logic_page),
    "graphs-and-breakage.md": ("Computation graphs, the tape, and where methods break", breakage_page),
    "diffusion.md": ("Stable Diffusion: counts, sampling loop, safety checker", diffusion_page),
    "errata.md": ("Course errata", lambda results, out: errata_page(results)),
    "claims.md": ("The lecture's claims, measured", claims_page),
}
KEEP = ("bench",)  # written by `lab bench`, not by the pages: carried into each new report


def write_report(out: Path, quick: bool = True) -> list[Path]:
    """Compute every result, write every page into a staged copy of `out`, then swap it in; return
    the files as they are named under `out`. `quick` never runs the benchmark sweeps. Off a
    terminal, each stage is announced on one line of stderr (on one, a progress bar shows it)."""
    out = check_writable(out, legacy=REPORT_LEGACY)
    say = stage_lines()
    with staged_folder(out, keep=KEEP) as stage:
        run_stale_benchmarks(stage / "bench", quick, say)
        say("building the cases")
        cases, seeded = build_cases()
        with progress("report", len(cases) + len(studies()) + len(PAGES) + 3) as advance:
            results = collect(advance, cases, seeded, say)
            say(f"writing {len(PAGES) + 2} pages and the site")
            written = write_pages(results, stage, advance)
    say(f"done: {len(written)} files and the site under {printable(out)}")
    return [out / path.name for path in written]


def stage_lines(stream=None) -> Callable[[str], None]:
    """A function printing "lab report [12 s]: <stage>" on stderr, when stderr is not a terminal
    (a log, a pipe, CI), so that a long run shows where it is; on a terminal it prints nothing."""
    import sys
    import time

    stream = stream or sys.stderr
    start = time.monotonic()
    if stream.isatty():
        return lambda stage: None

    def say(stage: str) -> None:
        print(f"lab report [{time.monotonic() - start:.0f} s]: {stage}", file=stream, flush=True)

    return say


def run_stale_benchmarks(bench: Path, quick: bool, say: Callable[[str], None] = lambda s: None) -> None:
    """Unless `quick`, rerun the quick sweeps that bench/ lacks or measured with other libraries."""
    from lab.report import bench_summary as benchreport

    if quick:
        return
    state = benchreport.fresh(bench)
    if state.to_run:
        say(f"benchmarks: rerunning {len(state.to_run)} quick sweep(s)")
        with progress("benchmarks (quick sweeps)", benchreport.steps(only=state.to_run)) as advance:
            benchreport.run_all(bench, only=state.to_run, advance=advance, say=say)


def write_pages(results: Results, out: Path, advance: Callable[[], None] = lambda: None) -> list[Path]:
    """Every page of PAGES, the full cross-check table (markdown and CSV), the index, and the HTML
    site built from the same texts, written under `out`."""
    written = [out / "README.md", out / "crosscheck.md", out / "crosscheck.csv"]
    texts: dict[str, tuple[str, str]] = {}
    for name, (title, page) in PAGES.items():
        texts[name] = (title, page(results, out))
        (out / name).write_text(texts[name][1], encoding="utf-8")
        written.append(out / name)
        advance()
    rows = results.rows
    (out / "crosscheck.md").write_text(
        header("Cross-check: every row", results.inputs_of(rows)) + per_case_table(rows) + "\n"
        + notes(rows), encoding="utf-8")
    (out / "crosscheck.csv").write_text(rows_csv(rows), encoding="utf-8")
    advance()
    links = bench_links(out)
    (out / "README.md").write_text(index(results, *links), encoding="utf-8")
    advance()
    texts = {"README.md": ("lab report", index(results, *links, table=lambda rows: HEATMAP_TOKEN + "\n")),
             **texts}
    write_site(results, texts, out / "site")
    advance()
    return written


def bench_links(out: Path) -> tuple[str, str]:
    """(link line, not-available line): the benchmark summary if one was measured here."""
    if (out / "bench" / "README.md").is_file():
        return "- [Benchmarks: time and derivative/primal ratios](bench/README.md)\n", ""
    return "", "- Benchmarks (run `lab bench`, or `lab report` without --quick)\n"


def verdict_sentence(results: Results) -> str:
    """The index's first sentence: whether every row is as expected, with the verdicts counted."""
    rows = results.rows
    bad = [r for r in rows if not r.ok]
    if bad:
        return (f"**{len(bad)} of {len(rows)} rows are not as expected** ({verdict_counts(bad)}); "
                "see [every row](crosscheck.md).")
    errata = [r for r in rows if r.expected != "agree"]
    return (f"All {len(rows)} rows are as expected: {verdict_counts(rows)}."
            + (f" Among them, {len(errata)} closed form{'' if len(errata) == 1 else 's'} from the "
               f"course disagree{'s' if len(errata) == 1 else ''} with the exact reference, as "
               "expected: see the [errata](errata.md)." if errata else ""))


def explained_table(rows: list) -> str:
    """The index's exercise × backend table with the sentence that says how to read a cell."""
    return ("Each cell: the verdict over all cases and derivative orders of the exercise, and the "
            "largest error ρ = |x − y| / max(1, |x| + |y|) against the exact reference (SymPy's "
            "derivative enclosed by ball arithmetic).\n\n" + summary_table(rows))


def index(results: Results, bench_link: str = "", bench_missing: str = "",
          table: Callable[[list], str] | None = None) -> str:
    """README.md: the verdict over every row, the exercise × backend `table`, links to the pages
    (the markdown and the HTML site)."""
    links = "\n".join(f"- [{title}]({name})" for name, (title, _) in PAGES.items())
    table = table or explained_table
    return (header("lab report", results.inputs_of(results.rows)) + verdict_sentence(results)
            + "\n\n## Exercise × backend\n\n" + table(results.rows)
            + "\n" + tolerance_policy(results.rows)
            + "\n## Pages\n\n" + links
            + "\n- [Every cross-check row](crosscheck.md) (also as [CSV](crosscheck.csv))\n"
            + "- The same report as a [web site](site/index.html) with interactive figures\n"
            + bench_link
            + ("\n## Not available yet\n\n" + bench_missing if bench_missing else ""))
