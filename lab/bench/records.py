"""Running sweeps into records: one JSON file per sweep under the output folder (written whole or
not at all), which the pages (`lab.report.bench_summary`) read. A partial run (`--sweep symbolic`)
rewrites only its own sweeps' files. `fresh(out)` says, per `--sweep` name, whether its records
were measured with the libraries installed now."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab.bench.families import FULL, QUICK, family
from lab.bench.harness import MEMORY_SOURCES, Decision, Timing
from lab.bench.labels import Label
from lab.bench.runner import SweepResult, TargetResult, run
from lab.bench.targets import check_targets, targets_of
from lab.meta import lab_version
from lab.output.folders import MARKER, MARKER_TEXT, atomic_write_text, check_writable
from lab.output.provenance import machine, versions

# The JSON layout's name and version; records written in another layout are stale.
SCHEMA = {"name": "lab.bench.sweep", "version": 4}
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
            budget_s: float | None = None, say: Callable[[str], None] = lambda line: None,
            backends: list[str] | None = None) -> list[SweepResult]:
    """Run the named sweeps (all by default), decide their targets, write one JSON record each
    under `out`, and return the results; `backends` narrows every sweep to those registry names."""
    out = prepare(out)
    mode = "full" if full else "quick"
    plan = plan or (FULL if full else QUICK)
    budget = BUDGET_S[mode] if budget_s is None else budget_s
    results = []
    for name in only or plan:
        for sweep, sizes in family(name, plan[name]):
            say(f"{sweep.name}: {len(sizes)} sizes, {sweep.size_label} {sizes[0]} to {sizes[-1]}")
            result = run(sweep, sizes, advance, say, backends)
            result.targets = check_targets(result, budget, advance)
            atomic_write_text(out / f"{result.name}.json", json.dumps(record(result, mode), indent=1))
            results.append(result)
    return results


def steps(full: bool = False, only: list[str] | None = None) -> int:
    """How many times run_all calls `advance`: once per sweep size and once per target."""
    plan = FULL if full else QUICK
    return sum(len(sizes) + len(targets_of(sweep.name))
               for name in only or plan for sweep, sizes in family(name, plan[name]))


def record(r: SweepResult, mode: str) -> dict:
    """The JSON record of one sweep: provenance, environment, every timing with its label, its
    primal and ratio, what stopped and why, the targets' decisions."""
    every = r.timings + [p for ps in r.primal.values() for p in ps]
    return {"schema": SCHEMA, "lab_version": lab_version(), "sweep": r.name, "family": r.family,
            "title": r.title, "size_label": r.size_label, "mode": mode,
            "date": datetime.date.today().isoformat(),
            "machine": machine(), "versions": versions(), "environment": r.environment,
            "dtype": "float64", "groups": {str(k): v for k, v in r.groups.items() if v},
            "memory_sources": {s: MEMORY_SOURCES[s] for s in
                               sorted({t.memory_source for t in every if t.memory_source})},
            "labels": {k: v.as_json() for k, v in r.labels.items()},
            "timings": [t.as_json() | {"ratio_to_primal": r.ratio(t)} for t in r.timings],
            "primal": {name: [t.as_json() for t in ts] for name, ts in r.primal.items()},
            "primal_of": r.primal_of, "stopped": r.stopped, "notes": r.notes, "extra": r.extra,
            "targets": [t.as_json() for t in r.targets]}


def result_of(data: dict) -> SweepResult:
    """The SweepResult a record describes (without the calls, which are not recorded)."""
    r = SweepResult(data["sweep"], data.get("title", data["sweep"]), data.get("size_label", "size"),
                    data.get("family", ""))
    r.timings = [Timing.from_json(t) for t in data.get("timings", [])]
    r.primal = {k: [Timing.from_json(t) for t in v] for k, v in data.get("primal", {}).items()}
    r.labels = {k: Label.from_json(v) for k, v in data.get("labels", {}).items()}
    r.primal_of = dict(data.get("primal_of", {}))
    r.groups = {int(k): v for k, v in data.get("groups", {}).items()}
    r.stopped, r.notes = dict(data.get("stopped", {})), list(data.get("notes", []))
    r.environment, r.extra = dict(data.get("environment", {})), dict(data.get("extra", {}))
    r.targets = [TargetResult(t["sweep"], t["target"], t["numerator"], t["denominator"], t["size"],
                              Decision(**t["decision"]) if t.get("decision") else None, t["why"])
                 for t in data.get("targets", [])]
    return r


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
        mine = [r for r in records if family_of(r) == name]
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


def family_of(record: dict) -> str:
    """The `--sweep` name a record belongs to (derived from its name for records without one)."""
    name = record["sweep"]
    if "family" in record:
        return record["family"]
    if name.endswith("_gradient"):
        return "loss_gradients"
    return next((f for f in QUICK if name.startswith(f.split("_")[0])), name)


def rows_where(record: dict, **fields) -> list[dict]:
    """The record's timings whose label has every given field value, e.g.
    `rows_where(record, library="jax", engine="jax.jit")` — how pages select rows, never by
    matching method names."""
    labels = record.get("labels", {})
    return [t for t in record.get("timings", []) if t["method"] in labels
            and all(labels[t["method"]].get(k) == v for k, v in fields.items())]
