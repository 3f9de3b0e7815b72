"""The benchmark pages: one markdown page (+ PNG) per sweep record and the summary README.md,
computed from the records `lab.bench.records` wrote — every sentence from what was measured and
set (thread settings, load, the interval's confidence). `run_all` runs sweeps and then writes
every page; `write_pages` rewrites the pages from the records alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lab.bench import records
from lab.bench.families import FULL, QUICK
from lab.bench.harness import MEMORY_SOURCES, Timing, spread, threads_sentence
from lab.bench.records import check_out, fresh, load, staleness, steps
from lab.bench.runner import SweepResult, TargetResult
from lab.output.folders import atomic_write_text
from lab.output.markdown import md_table
from lab.output.provenance import machine, versions
from lab.report import bench_figures, bench_modes, bench_swell

# Families whose page adds notes and figures of its own: family → (notes, extra figure).
EXTRA: dict[str, tuple[Callable[[SweepResult], list[str]], Callable[[SweepResult, Path], str]]] = {
    "modes": (bench_modes.notes, bench_modes.draw),
    "swell": (bench_swell.notes, bench_swell.draw),
}


def run_all(out: Path, full: bool = False, only: list[str] | None = None,
            advance: Callable[[], None] = lambda: None, plan: dict | None = None,
            budget_s: float | None = None, say: Callable[[str], None] = lambda line: None,
            backends: list[str] | None = None) -> list[SweepResult]:
    """Run the sweeps (lab.bench.records.run_all), then write every sweep's page and the summary."""
    results = records.run_all(out, full, only, advance, plan, budget_s, say, backends)
    write_pages(out)
    return results


def write_pages(out: Path) -> Path:
    """Each readable record's page and figures, then out/README.md; returns the README's path."""
    for data in load(out):
        if not data.get("unreadable") and data.get("schema") == records.SCHEMA:
            write_page(records.result_of(data), data, Path(out))
    return rebuild(out)


def write_page(r: SweepResult, data: dict, out: Path) -> None:
    """r's markdown page and PNGs under out."""
    figure = bench_figures.plot(r, out)
    notes, draw = EXTRA.get(r.family, (lambda r: [], lambda r, out: ""))
    extra = draw(r, out)
    atomic_write_text(out / f"{r.name}.md", page(r, data, figure, extra, notes(r)))


def environment_line(env: dict) -> str:
    """The sweep's environment in one sentence, computed from what was recorded."""
    if not env:
        return "No environment was recorded."
    verdict = ("**noisy**: the load beside the benchmark's own process was above half the cores, so "
               "no target is judged on this sweep" if env.get("noisy") else
               "quiet enough to judge targets (the load beside the benchmark's own process at most "
               "half the cores)")
    return (f"Processor {env.get('cpu_model', '?')}; {threads_sentence(env.get('threads', {}))}. "
            f"1-minute load average {env.get('load_before', 0):.2f} before and "
            f"{env.get('load_after', 0):.2f} after the sweep: {verdict}.")


def page(r: SweepResult, data: dict, figure: str, extra: str = "", notes: list[str] = ()) -> str:
    """The sweep's markdown page: provenance, environment, plots, one row per method and size."""
    rows = [_row(r, t) for t in sorted(r.timings, key=lambda t: (t.size, t.median_s))]
    sources = "".join(f"- {s}: {MEMORY_SOURCES[s]}\n" for s in data.get("memory_sources", {}))
    primal = "".join(f"- {name}: " + ", ".join(f"{_size(r, t.size)}: {spread(t)}" for t in ts) + "\n"
                     for name, ts in r.primal.items())
    stopped = md_table(["method", "why it has no row at some sizes"],
                       sorted(r.stopped.items())) if r.stopped else ""
    return (f"# {r.title}\n\n_{data.get('mode', '?')} mode, {data.get('date', '?')}, "
            f"{data.get('machine', machine())}; float64._\n\n{environment_line(r.environment)}\n\n"
            f"![time and ratio]({figure})\n\n" + (f"![more]({extra})\n\n" if extra else "")
            + "Every row is a registry method's prepared call (what `lab check` validates), a closed "
            "form of the exercise (checked like a method) or a baseline. Its ratio is taken against "
            "the primal named in its row: the same program in the row's library.\n\n"
            + md_table([r.size_label, "method", "library", "mode", "median ± IQR/2", "min (ms)",
                        "first-call overhead (ms, compile/trace)", "÷ primal", "primal",
                        "peak MiB allocated by one call (counted by)"], rows)
            + (f"\nPrimals (the function itself):\n\n{primal}" if primal else "")
            + (f"\nNot run everywhere:\n\n{stopped}" if stopped else "")
            + (f"\nPeak memory, by who counted it:\n\n{sources}" if sources else "")
            + "".join(f"\n{n}\n" for n in [*r.notes, *notes]))


def _size(r: SweepResult, size: int) -> str:
    group = r.groups.get(size)
    return f"{size} ({group})" if group else str(size)


def _row(r: SweepResult, t: Timing) -> tuple:
    ratio, label = r.ratio(t), r.labels.get(t.method)
    memory = "–" if t.peak_bytes is None else f"{t.peak_bytes / 2**20:.3g} ({t.memory_source})"
    return (_size(r, t.size), t.method, label.library if label else "?", label.mode if label else "?",
            spread(t), f"{t.min_s * 1e3:.3g}", f"{t.compile_s * 1e3:.3g}",
            "–" if ratio is None else f"{ratio:.3g}", r.primal_of.get(t.method, "–"), memory)


# --- why a target was missed, from the run's numbers ----------------------------------------------
def _mib(t: Timing | None) -> str:
    return "–" if t is None or t.peak_bytes is None else f"{t.peak_bytes / 2**20:.3g} MiB"


def _memory(base: Timing | None, *others: Timing | None) -> str:
    """'peak allocation of one call: base X MiB (counter); other Y MiB (counter, k× base)', the
    ratio only where one counter saw both."""
    if base is None or base.peak_bytes is None:
        return ""
    parts = [f"{base.method} {_mib(base)} ({base.memory_source})"]
    for t in others:
        if t is None or t.peak_bytes is None or t is base:
            continue
        same = t.memory_source == base.memory_source and base.peak_bytes > 0
        ratio = f", {t.peak_bytes / base.peak_bytes:.1f}× {base.method}" if same else ""
        parts.append(f"{t.method} {_mib(t)} ({t.memory_source}{ratio})")
    return "peak allocation of one call: " + "; ".join(parts) if len(parts) > 1 else ""


def explain(r: SweepResult, target: TargetResult) -> str:
    """Why a target was not met, every clause computed from this run's numbers ('' when met)."""
    d = target.decision
    if d is None:
        return target.why
    if d.verdict == "met":
        return ""
    a, b = r.at(target.numerator, target.size), r.at(target.denominator, target.size)
    lead = (f"the {d.confidence:.0%} interval straddles {d.threshold:g} after {d.pairs} pairs "
            f"({d.seconds:.1f} s)" if d.verdict == "inconclusive" else "")
    mode = r.labels[target.denominator].mode if target.denominator in r.labels else "primal"
    if mode == "baseline":
        closed = next((t for t in r.rows_where(mode="closed form") if t.size == target.size), None)
        facts = [f"numpy's closed form takes {closed.median_s / b.median_s:.2f}× the floor "
                 "(medians of the sweep)" if closed and b else "", _memory(b, closed, a)]
    elif mode == "closed form":
        facts = [_memory(b, a)]
    else:
        ad = [t for t in r.timings if t.size == target.size and r.labels[t.method].differentiates
              and r.ratio(t)]
        facts = ["each AD method ÷ its own primal: " + ", ".join(
            f"{t.method} {r.ratio(t):.2f} ({r.primal_of[t.method]})" for t in ad)]
    return "; ".join(f for f in [lead, *facts] if f)


# --- the summary ------------------------------------------------------------------------------------
def rebuild(out: Path) -> Path:
    """Rewrite out/README.md from every sweep record in out/; returns its path."""
    path = Path(out) / "README.md"
    atomic_write_text(path, summary(load(out), out))
    return path


def _target_rows(data: dict) -> list[tuple]:
    r = records.result_of(data)
    found = []
    for t in r.targets:
        d = t.decision
        measured = (f"{t.numerator} ÷ {t.denominator}: {d.median:.2f}× [{d.low:.2f}, {d.high:.2f}] "
                    f"({d.confidence:.0%} interval), {d.pairs} pairs" if d else "–")
        found.append((t.target, measured, t.verdict, explain(r, t) or "–"))
    return found


def summary(records_: list[dict], out: Path | None = None) -> str:
    """The summary page: installed libraries, the targets' verdicts, each sweep's provenance."""
    order = list(QUICK)
    records_ = sorted(records_, key=lambda r: (order.index(f) if (f := records.family_of(r)) in order
                                               else len(order), r["sweep"]))
    current = [r for r in records_ if not r.get("unreadable") and r.get("schema") == records.SCHEMA]
    rows = [row for r in current for row in _target_rows(r)]
    sweeps_table = md_table(
        ["sweep", "mode", "date", "environment", "measured with the installed libraries?"], [
            (f"[{r.get('title', r['sweep'])}]({r['sweep']}.md)" if r in current
             else f"{r['sweep']}.json ({'unreadable' if r.get('unreadable') else 'older format'})",
             r.get("mode", "?"), r.get("date", "?"),
             ("noisy" if r.get("environment", {}).get("noisy") else "quiet") if r in current else "?",
             "yes" if not (why := staleness(r)) else f"no: {why}") for r in records_])
    extra = "".join(
        f"\nAlso here: [{title}]({name}.md) (`benchmarks/{name}.py`).\n"
        for name, title in (("sd_pipeline", "Stable Diffusion speed"), ("commands", "Command speed"),
                            ("safety_throughput", "Safety checker throughput: plain and Ray Data"))
        if out is not None and (Path(out) / f"{name}.md").is_file())
    settings = sorted({threads_sentence(r["environment"]["threads"]) for r in current
                       if r.get("environment", {}).get("threads")})
    return (f"# Benchmarks\n\n_Summary of the {len(records_)} sweep results in this folder · "
            f"{machine()} · float64 · installed: "
            + ", ".join(f"{k} {v}" for k, v in versions().items()) + "._\n\n"
            "Every time is a median over repeated calls of a registry method's prepared call after a "
            "warm-up (IQR reported); the first call, which compiles or traces, is reported apart. "
            "Ratios are taken against the primal named on each row: the same program in the row's "
            "library, at the same size. Thread settings recorded: "
            + ("; ".join(settings) if settings else "none") + ". Peak memory is counted by each "
            "library's own allocator accounting, named beside every value.\n\n"
            "## Performance targets\n\n"
            "A target compares two calls run side by side (alternating, repeated): the verdict is "
            "`met` when the whole bootstrap interval of the median ratio (at the confidence given "
            "in each row) lies at or below the threshold, `missed` when it lies above, "
            "`inconclusive` when it still straddles the threshold once the time budget is spent, "
            "and `not judged` when the sweep ran on a busy machine.\n\n"
            + (md_table(["target", "measured: median ratio [interval], pairs", "verdict", "why"],
                        rows) if rows else "No target was measured in these sweeps.\n")
            + "\n## Sweeps\n\n" + sweeps_table + extra)


__all__ = ["FULL", "QUICK", "check_out", "fresh", "load", "rebuild", "run_all", "steps", "summary",
           "write_pages"]
