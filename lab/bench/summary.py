"""Run the sweeps and write each as JSON + markdown + log-log PNG under reports/bench/, then rebuild
the summary README.md from every sweep JSON in the folder.

One JSON per sweep is the record: a partial run (`lab bench --sweep symbolic`) rewrites only its
own sweeps' files, and the summary lists every sweep present, each with its own date, mode and
library versions. `fresh(out)` says, per `--sweep` name, whether its results were measured with the
libraries installed now. Every file is written whole or not at all (temporary file + rename).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab.bench import sweeps
from lab.bench.harness import MEMORY_SOURCES, Timing, spread, threads
from lab.output.figures import plt
from lab.output.folders import MARKER, MARKER_TEXT, atomic_write_text, check_writable
from lab.output.markdown import md_table
from lab.output.provenance import machine, versions

SCHEMA = 2  # the JSON layout; results written in another layout are stale
QUICK = {
    "polynomial": dict(sizes=[10**2, 10**4, 10**6], orders=(1, 4)),
    "softmax_jacobian": dict(sizes=[16, 64, 256, 1024]),
    "loss_gradients": dict(sizes=[10, 100, 1000]),
    "symbolic": dict(sizes=[2, 8, 32, 64], nested=[1, 2, 4, 6]),
    "modes": dict(total=1024, outputs=[1, 4, 32, 256, 1024]),  # lab.bench.modes; n = total/m
    "swell": dict(nested=list(range(1, 11)), loop=list(range(1, 11)), cap_s=5.0),  # lab.bench.swell
}
FULL = {
    "polynomial": dict(sizes=[10**2, 10**3, 10**4, 10**5, 10**6, 10**7], orders=(1, 2, 3, 4)),
    "softmax_jacobian": dict(sizes=[16, 64, 256, 1024, 4096]),
    "loss_gradients": dict(sizes=[10, 100, 1000, 10000]),
    "symbolic": dict(sizes=[2, 8, 32, 64, 128, 256], nested=[1, 2, 4, 6, 8, 10]),
    "modes": dict(total=4096, outputs=[1, 4, 16, 64, 256, 1024, 4096]),  # lab.bench.modes
    "swell": dict(nested=list(range(1, 15)), loop=list(range(1, 15)), cap_s=5.0),  # lab.bench.swell
}
# Seconds of side-by-side runs allowed per target while its interval straddles the threshold.
BUDGET_S = {"quick": 3.0, "full": 10.0}
# Folders an earlier lab wrote before the marker existed: its summary or the SD benchmark's page.
LEGACY = (("README.md", "# Benchmarks ("), ("sd_pipeline.md", "# Stable Diffusion speed on"))


def check_out(out: Path | str) -> Path:
    """`out` as a Path once it is known the benchmarks may write there (else LabError): call it
    before any sweep runs, so that a bad --out fails at once."""
    return check_writable(out, legacy=LEGACY)


def prepare(out: Path | str) -> Path:
    """check_out, then create the folder and mark it as lab's."""
    out = check_out(out)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / MARKER).is_file():
        atomic_write_text(out / MARKER, MARKER_TEXT)
    return out


def run_all(out: Path, full: bool = False, only: list[str] | None = None,
            advance: Callable[[], None] = lambda: None, plan: dict | None = None,
            budget_s: float | None = None) -> list[sweeps.SweepResult]:
    """Run the named sweeps (all by default), write their files, rebuild out/README.md from every
    sweep in out/, and return the results of this run."""
    out = prepare(out)
    mode = "full" if full else "quick"
    plan = plan or (FULL if full else QUICK)
    budget = BUDGET_S[mode] if budget_s is None else budget_s
    results = []
    for name in only or plan:
        for sweep, sizes in sweeps.family(name, plan[name]):
            result = sweeps.run(sweep, sizes, advance)
            result.targets = sweeps.check_targets(sweep, result, budget, advance)
            for target in result.targets:
                target.why = explain(result, target)
            write(result, out, mode, sweep.figure)
            results.append(result)
    rebuild(out)
    return results


def steps(full: bool = False, only: list[str] | None = None) -> int:
    """How many times run_all calls `advance`: once per sweep size and once per target."""
    plan = FULL if full else QUICK
    return sum(len(sizes) + len(sweeps.targets_of(sweep.name))
               for name in only or plan for sweep, sizes in sweeps.family(name, plan[name]))


# --- freshness ---------------------------------------------------------------------------------------
@dataclass
class Freshness:
    """Per `lab bench --sweep` name: measured with the installed libraries, stale (why), or absent.
    True when nothing needs running."""

    fresh: list[str] = field(default_factory=list)
    stale: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def to_run(self) -> list[str]:
        """The sweep names to run to bring the folder up to date."""
        return [n for n in QUICK if n in self.stale or n in self.missing]

    def __bool__(self) -> bool:
        return not self.to_run


def fresh(out: Path) -> Freshness:
    """Which sweeps in out/ were measured with the libraries installed now, which are stale (and
    why), which are absent."""
    records = load(out)
    state = Freshness()
    for name in QUICK:
        mine = [r for r in records if _family(r) == name]
        reasons = sorted({why for r in mine if (why := staleness(r))})
        if not mine:
            state.missing.append(name)
        elif reasons:
            state.stale[name] = "; ".join(reasons)
        else:
            state.fresh.append(name)
    return state


def staleness(record: dict) -> str:
    """Why a sweep's record no longer describes this installation ('' when it does)."""
    if record.get("schema") != SCHEMA:
        return "written by an older lab (another result format)"
    now, then = versions(), record.get("versions", {})
    changed = [f"{k} {then.get(k, '?')} (installed {v})" for k, v in now.items() if then.get(k) != v]
    return "measured with " + ", ".join(changed) if changed else ""


def load(out: Path) -> list[dict]:
    """Every sweep record (JSON with a 'sweep' key) in out/, by file name; unreadable files are
    returned as stale records naming their sweep."""
    records = []
    for path in sorted(Path(out).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {"sweep": path.stem, "unreadable": True}
        if isinstance(data, dict) and "sweep" in data:
            records.append(data)
    return records


def _family(record: dict) -> str:
    # Records from before SCHEMA 2 carry no family: derive it from the sweep's name.
    name = record["sweep"]
    if "family" in record:
        return record["family"]
    if name.endswith("_gradient"):
        return "loss_gradients"
    return next((f for f in QUICK if name.startswith(f.split("_")[0])), name)


# --- one sweep's files ---------------------------------------------------------------------------
def record(r: sweeps.SweepResult, mode: str) -> dict:
    """The JSON record of one sweep: provenance, every timing, the targets' decisions."""
    return {"schema": SCHEMA, "sweep": r.name, "family": r.family, "title": r.title,
            "size_label": r.size_label, "mode": mode, "date": datetime.date.today().isoformat(),
            "machine": machine(), "processor": platform.processor(), "versions": versions(),
            "threads": threads(), "dtype": "float64",
            "groups": {str(k): v for k, v in r.groups.items() if v},
            "memory_sources": {s: MEMORY_SOURCES[s] for s in _sources(r)},
            "timings": [t.as_json() | {"ratio_to_primal": r.ratio(t)} for t in r.timings],
            "primal": {lib: [t.as_json() for t in ts] for lib, ts in r.primal.items()},
            "library_of": r.library_of, "notes": r.notes, "extra": r.extra,
            "targets": [t.as_json() for t in r.targets]}


def write(r: sweeps.SweepResult, out: Path, mode: str = "quick",
          draw: Callable[[sweeps.SweepResult, Path], str] | None = None) -> None:
    """Write r's PNGs (the main one by `draw`, the sweep's own figure, or else `plot`), markdown
    and JSON (the JSON last: it is what the summary reads)."""
    out = prepare(out)
    data = record(r, mode)
    figure, panels = (draw or plot)(r, out), plot_panels(r, out)
    atomic_write_text(out / f"{r.name}.md", page(r, data, figure, panels))
    atomic_write_text(out / f"{r.name}.json", json.dumps(data, indent=1))


def page(r: sweeps.SweepResult, data: dict, figure: str, panels: str = "") -> str:
    """The sweep's markdown page: provenance, plots, one row per method and size."""
    rows = [_row(r, t) for t in sorted(r.timings, key=lambda t: (t.size, t.median_s))]
    sources = "".join(f"- {s}: {MEMORY_SOURCES[s]}\n" for s in _sources(r))
    primal = ("\nPrimal (the function itself): " + "; ".join(
        f"{lib} " + ", ".join(f"{_size(r, t.size)}: {spread(t)}" for t in ts)
        for lib, ts in r.primal.items()) + "\n") if r.primal else ""
    return (f"# {r.title}\n\n_{data['mode']} mode, {data['date']}, {data['machine']}; float64; "
            f"threads: {data['threads']}._\n\n![time and ratio]({figure})\n\n"
            + (f"![{', '.join(p['title'] for p in r.extra['panels'])}]({panels})\n\n" if panels else "")
            + md_table([r.size_label, "method", "median ± IQR/2", "min (ms)",
                        "first-call overhead (ms, compile/trace)", "÷ primal (same library)",
                        "peak MiB allocated by one call (counted by)"], rows)
            + primal + (f"\nPeak memory, by who counted it:\n\n{sources}" if sources else "")
            + "".join(f"\n{n}\n" for n in r.notes))


def _sources(r: sweeps.SweepResult) -> list[str]:
    every = r.timings + [p for ps in r.primal.values() for p in ps]
    return sorted({t.memory_source for t in every if t.memory_source})


def _size(r: sweeps.SweepResult, size: int) -> str:
    group = r.groups.get(size)
    return f"{size} ({group})" if group else str(size)


def _row(r: sweeps.SweepResult, t: Timing) -> tuple:
    ratio = r.ratio(t)
    memory = "–" if t.peak_bytes is None else f"{t.peak_bytes / 2**20:.3g} ({t.memory_source})"
    return (_size(r, t.size), t.method, spread(t), f"{t.min_s * 1e3:.3g}",
            f"{t.compile_s * 1e3:.3g}", "–" if ratio is None else f"{ratio:.3g}", memory)


def series(r: sweeps.SweepResult) -> dict[tuple[str, str], list[Timing]]:
    """(method, problem shape) → its timings by size: one plotted line each, so that problems of
    different shapes (10 against 1000 classes) are never joined into one line."""
    lines: dict[tuple[str, str], list[Timing]] = {}
    for t in sorted(r.timings, key=lambda t: t.size):
        lines.setdefault((t.method, r.groups.get(t.size, "")), []).append(t)
    return lines


def plot(r: sweeps.SweepResult, out: Path) -> str:
    """Time against size (left) and the ratio to the primal (right), log-log; returns the file name."""
    fig, axes = plt.subplots(1, 2 if r.primal else 1, figsize=(12 if r.primal else 6, 4.2),
                             squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    methods = list(dict.fromkeys(t.method for t in r.timings))
    groups = list(dict.fromkeys(r.groups.get(t.size, "") for t in r.timings))
    # One line style and marker per problem shape, one colour per method.
    styles = dict(zip(groups, (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")), strict=False))
    for (method, group), ts in series(r).items():
        ls, marker = styles.get(group, ("-", "o"))
        style = dict(color=colors[methods.index(method) % len(colors)], ls=ls, marker=marker,
                     label=method if group == groups[0] else None)
        axes[0, 0].loglog([t.size for t in ts], [t.median_s for t in ts], **style)
        ratios = [(t.size, r.ratio(t)) for t in ts if r.ratio(t) is not None]
        if r.primal and ratios:
            axes[0, 1].loglog(*zip(*ratios, strict=True), **style)
    if len(groups) > 1:  # a legend entry per problem shape, in its line style
        for group in groups:
            ls, marker = styles[group]
            axes[0, 0].plot([], [], color="gray", ls=ls, marker=marker, label=group)
    axes[0, 0].set(xlabel=r.size_label, ylabel="median time (s)")
    axes[0, 0].set_title(r.title, fontsize=9)
    axes[0, 0].legend(fontsize=7)
    if r.primal:
        axes[0, 1].set(xlabel=r.size_label, ylabel="derivative time ÷ primal time")
        axes[0, 1].axhline(3, color="gray", ls=":", lw=1)
        axes[0, 1].set_title("ratio to evaluating the function (same library)", fontsize=9)
    for ax in axes.ravel():
        ax.grid(True, which="major", alpha=0.3)
    return _save(fig, out / f"{r.name}.png")


def plot_panels(r: sweeps.SweepResult, out: Path) -> str:
    """The log-log panels a sweep attached as r.extra['panels'] (title, xlabel, ylabel and
    lines: label → [[x, y], …]) side by side in one PNG; returns its file name, '' if none."""
    panels = r.extra.get("panels", [])
    if not panels:
        return ""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        for label, points in panel["lines"].items():
            if points:
                ax.loglog(*zip(*points, strict=True), marker="o", label=label)
        ax.set(xlabel=panel["xlabel"], ylabel=panel["ylabel"])
        ax.set_title(panel["title"], fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    return _save(fig, out / f"{r.name}-panels.png")


def _save(fig, path: Path) -> str:
    fig.tight_layout()
    buffer = io.BytesIO()
    # No timestamps in the file, so that a rerun with equal numbers writes identical bytes.
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temp.write_bytes(buffer.getvalue())
    os.replace(temp, path)
    return path.name


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


def _tape_split(r: sweeps.SweepResult, size: int, against: Timing) -> str:
    """The tape's time split into recording and backward pass, relative to `against`."""
    tape, forward = r.at("tape (numpy reverse mode)", size), r.at(
        "tape, forward pass only (recording)", size)
    if tape is None or forward is None:
        return ""
    return (f"the tape's recording pass takes {forward.median_s / against.median_s:.2f}× "
            f"{against.method} and its backward pass the remaining "
            f"{(tape.median_s - forward.median_s) / against.median_s:.2f}×")


def _tape_holds(r: sweeps.SweepResult, size: int) -> str:
    values, nbytes = sweeps.tape_footprint(r.name.split("_")[0].upper(), size)
    return (f"the recorded tape holds {values} arrays ({nbytes / 2**20:.3g} MiB) for the backward "
            f"pass at batch {size} × {sweeps.classes(size)}")


def explain(r: sweeps.SweepResult, target: sweeps.TargetResult) -> str:
    """Why a target was not met, every clause computed from this run's numbers ('' when met)."""
    d = target.decision
    if d.verdict == "met":
        return ""
    a, b = r.at(target.numerator, target.size), r.at(target.denominator, target.size)
    lead = (f"the {d.confidence:.0%} interval straddles {d.threshold:g} after {d.pairs} pairs "
            f"({d.seconds:.1f} s)" if d.verdict == "inconclusive" else "")
    tape = target.numerator.startswith("tape (")
    if target.denominator.startswith("closed form"):
        facts = [_tape_split(r, target.size, b), _tape_holds(r, target.size), _memory(b, a)]
    elif target.denominator.startswith("primal"):
        ad = [t for t in r.timings if t.size == target.size and t.method.startswith(sweeps.AD)
              and not t.method.startswith("tape,") and r.ratio(t)]
        facts = ["each AD method ÷ its library's primal: " + ", ".join(
                     f"{t.method} {r.ratio(t):.2f}" for t in ad),
                 _tape_split(r, target.size, b) if tape else "", _memory(b, a)]
    else:  # against the write-floor
        closed = next((t for t in r.timings if t.size == target.size
                       and t.method.startswith("closed form")), None)
        facts = [f"numpy's closed form takes {closed.median_s / b.median_s:.2f}× the floor "
                 "(medians of the sweep)" if closed else "", _memory(b, closed, a)]
    return "; ".join(f for f in [lead, *facts] if f)


# --- the summary ------------------------------------------------------------------------------------
def rebuild(out: Path) -> Path:
    """Rewrite out/README.md from every sweep record in out/; returns its path."""
    path = Path(out) / "README.md"
    atomic_write_text(path, summary(load(out), out))
    return path


def summary(records: list[dict], out: Path | None = None) -> str:
    """The summary page: installed libraries, the targets' verdicts, and each sweep's provenance."""
    order = list(QUICK)
    records = sorted(records, key=lambda r: (order.index(f) if (f := _family(r)) in order
                                             else len(order), r["sweep"]))
    readable = [r for r in records if not r.get("unreadable")]
    targets = [t for r in readable for t in r.get("targets", [])]
    rows = [(t["target"], f"{t['numerator']} ÷ {t['denominator']}: "
             f"{_interval(t['decision'])}", t["decision"]["verdict"], t["why"] or "–")
            for t in targets]
    sweeps_table = md_table(["sweep", "mode", "date", "measured with the installed libraries?"], [
        (f"[{r.get('title', r['sweep'])}]({r['sweep']}.md)" if not r.get("unreadable")
         else f"{r['sweep']}.json (unreadable)", r.get("mode", "?"), r.get("date", "?"),
         "yes" if not (why := staleness(r)) else f"no: {why}") for r in records])
    extra = "".join(
        f"\nAlso here: [{title}]({name}.md) (`benchmarks/{name}.py`).\n"
        for name, title in (("sd_pipeline", "Stable Diffusion speed"), ("commands", "Command speed"),
                            ("safety_throughput", "Safety checker throughput: plain and Ray Data"))
        if out is not None and (Path(out) / f"{name}.md").is_file())
    return (f"# Benchmarks\n\n_Summary of the {len(records)} sweep results in this folder · "
            f"{machine()} · float64 · installed: "
            + ", ".join(f"{k} {v}" for k, v in versions().items()) + "._\n\n"
            "Every time is a median over repeated runs after a warm-up (IQR reported); the first "
            "call, which includes JIT compilation or tracing, is reported apart. Ratios are taken "
            "against the primal in the same library at the same size. Threads: no library is "
            "restricted; the counts are recorded in each JSON file. Peak memory is counted by each "
            "library's own allocator accounting, named beside every value.\n\n"
            "## Performance targets\n\n"
            "A target compares two calls run side by side (alternating, repeated): the verdict is "
            "`met` when the whole 95% bootstrap interval of the median ratio lies at or below the "
            "threshold, `missed` when it lies above, and `inconclusive` when it still straddles "
            "the threshold once the time budget is spent.\n\n"
            + (md_table(["target", "measured: median ratio [interval], pairs", "verdict", "why"],
                        rows) if rows else "No target was measured in these sweeps.\n")
            + "\n## Sweeps\n\n" + sweeps_table + extra)


def _interval(d: dict) -> str:
    return f"{d['median']:.2f}× [{d['low']:.2f}, {d['high']:.2f}], {d['pairs']} pairs"
