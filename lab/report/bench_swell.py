"""The swell page's tables, figure panels and notes, computed from a sweep's records only.

A record (one registry method at one depth, `lab.bench.swell`) is a dict: method, kind ("symbolic",
"hybrid", "AD"), depth, ops (operations of what the method evaluates; None where none is counted),
build_s (its prepared call's first-call overhead: the first call's time less the median), error
(max ρ against the reference) and eval_s (the harness's median per evaluation).

The growth of a size is judged by fitting the deeper half
of its series two ways — log size against depth (exponential) and log size against log depth
(power law) — and keeping the fit with the smaller squared residual (or calling it flat when the
values there vary by less than FLAT). Times are too noisy for that choice: their growth is the mean
factor per unit depth over the deeper half. The crossover is the first depth from which an AD
tool's total cost (build + one evaluation) stays below a symbolic tool's at every deeper depth
measured; a symbolic tool stopped by the time cap counts as costlier than the cap there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lab.bench.runner import SweepResult
from lab.output.markdown import md_table, names, scientific
from lab.report.bench_figures import panels as draw_panels

LINEAR_EXPONENT = 1.25  # a power-law fit up to this exponent is called "about linear"
FLAT = 1.5  # values within this factor over the fitted depths: fixed costs dominate, no growth rate
# size label → (what one more unit adds, the variable's name in a power law)
UNITS = {"depth": ("level", "depth"), "loop steps": ("step", "steps")}


def methods(rows: Sequence[dict], kinds: tuple[str, ...] = ("symbolic", "hybrid", "AD")) -> list[str]:
    """The methods of these kinds, in the order they first appear."""
    return list(dict.fromkeys(r["method"] for r in rows if r["kind"] in kinds))


def total(row: dict) -> float | None:
    """Build + one evaluation, in seconds (None without an evaluation time)."""
    return None if row.get("eval_s") is None else row["build_s"] + row["eval_s"]


def series(rows: Sequence[dict], method: str, value) -> list[tuple[int, float]]:
    """(depth, value(row)) for the method, by depth, where the value is known."""
    found = [(r["depth"], value(r)) for r in rows if r["method"] == method]
    return sorted((d, v) for d, v in found if v is not None)


def growth(points: Sequence[tuple[int, float]]) -> tuple[str, float] | None:
    """("exponential", factor per unit depth) or ("power", exponent), fitted on the deeper half of
    the positive points (at least three); ("flat", largest ÷ smallest) when the values there vary
    less than FLAT; None with fewer points."""
    positive = [(d, v) for d, v in points if v > 0 and d > 0]
    if len(positive) < 3:
        return None
    depth, value = np.array(positive[-max(3, (len(positive) + 1) // 2):], dtype=np.float64).T
    if value.max() < FLAT * value.min():
        return "flat", float(value.max() / value.min())
    fits = {}
    for model, x in (("exponential", depth), ("power", np.log(depth))):
        slope, intercept = np.polyfit(x, np.log(value), 1)
        fits[model] = (float(np.sum((np.log(value) - (slope * x + intercept)) ** 2)), slope)
    model = min(fits, key=lambda m: fits[m][0])
    slope = fits[model][1]
    return (model, math.exp(slope)) if model == "exponential" else (model, slope)


def step_factor(points: Sequence[tuple[int, float]]) -> tuple[float, int, int] | None:
    """(the mean factor per unit depth, first depth, last depth) over the deeper half of the
    positive points (at least two): a rate that assumes no model, for noisy times."""
    positive = [(d, v) for d, v in points if v > 0]
    if len(positive) < 2:
        return None
    (d0, v0), (d1, v1) = positive[-max(2, (len(positive) + 1) // 2)], positive[-1]
    return (v1 / v0) ** (1 / (d1 - d0)), d0, d1


def describe_step(found: tuple[float, int, int] | None, unit: str = "level") -> str:
    """'×1.84 per level over 5–10', or 'too few depths'."""
    if found is None:
        return "too few depths"
    factor, d0, d1 = found
    return f"×{factor:.2f} per {unit} over {d0}–{d1}"


def describe(fit: tuple[str, float] | None, unit: str = "level", variable: str = "depth") -> str:
    """'×2.41 per level (exponential)', '∝ depth^1.02 (about linear)', 'roughly flat (…)' or
    'too few depths to fit'."""
    if fit is None:
        return "too few depths to fit"
    model, rate = fit
    if model == "flat":
        return f"roughly flat (within ×{rate:.2f} over the fitted depths)"
    if model == "exponential":
        return f"×{rate:.2f} per {unit} (exponential)"
    word = "about linear" if rate <= LINEAR_EXPONENT else "polynomial"
    return f"∝ {variable}^{rate:.2f} ({word})"


GROWTH_WORDS = {"exponential": "exponentially",
                "polynomial": f"polynomially (power-law exponent above {LINEAR_EXPONENT})",
                "linear": f"about linearly (exponent ≤ {LINEAR_EXPONENT}) or less"}


def size_class(fit: tuple[str, float] | None) -> str | None:
    """'exponential', 'polynomial', or 'linear' (a power law up to LINEAR_EXPONENT, or flat)."""
    if fit is None:
        return None
    if fit[0] == "exponential":
        return "exponential"
    return "polynomial" if fit[0] == "power" and fit[1] > LINEAR_EXPONENT else "linear"


def crossover(symbolic: dict[int, float], ad: dict[int, float], cap_s: float) -> int | None:
    """The first depth from which ad[d] < symbolic[d] at every deeper depth of `ad`; a depth
    missing from `symbolic` (the tool was stopped by the cap) is won when ad[d] < cap_s."""
    first = None
    for d in sorted(ad):
        wins = ad[d] < symbolic[d] if d in symbolic else ad[d] < cap_s
        first = (d if first is None else first) if wins else None
    return first


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1e3:.3g}"


def _pivot(rows: Sequence[dict], label: str, value) -> str:
    """Rows: depths; columns: methods; cells: value(row) or '–' where the tool did not run."""
    order = methods(rows)
    cells = {(r["depth"], r["method"]): value(r) for r in rows}
    depths = sorted({r["depth"] for r in rows})
    return md_table([label, *order], [(d, *(cells.get((d, m), "–") for m in order)) for d in depths])


def _crossover_table(rows: Sequence[dict], cap_s: float) -> str:
    depths = sorted({r["depth"] for r in rows})
    ad_tools = methods(rows, ("AD",))

    def cell(sym: str, ad: str) -> str:
        first = crossover(dict(series(rows, sym, total)), dict(series(rows, ad, total)), cap_s)
        if first is None:
            return f"none up to {depths[-1]}"
        return f"{first} (every depth)" if first == depths[0] else str(first)

    return md_table(["symbolic tool ↓ · AD tool →", *ad_tools],
                    [(s, *(cell(s, a) for a in ad_tools)) for s in methods(rows, ("symbolic",
                                                                                   "hybrid"))])


INTRO = (
    "Every row is a registry method's prepared call on the program written once. Size counts the "
    "operations of what each method evaluates: SymPy's and SymEngine's count_ops of the derivative "
    "after common-subexpression elimination (their lambdify and Lambdify run with cse); CasADi's "
    "SX instructions that compute (not input, output or constant loads); the equations of JAX's "
    "jaxpr of grad; the nodes of the derivative's graph in torch (create_graph, without "
    "AccumulateGrad) and on the lab's tape. Build: the prepared call's first call less its median "
    "(lambdify, Lambdify, casadi.Function, JAX's trace + lower + compile; JAX's persistent "
    "compilation cache, which the lab turns on, may serve the compile on a rerun); torch and the "
    "tape build nothing ahead: they record while evaluating. Evaluation: the harness's median of "
    "one call on {where}. Error: ρ against mpmath's derivative of the same program, evaluated at "
    "rising precision until two precisions agree (lab.core.reference.certified)."
)


def record_notes(rows: Sequence[dict], cap_s: float, stopped: dict[str, str], size_label: str,
                 where: str = "the sweep's points") -> list[str]:
    """The page's notes: size, build, total and error tables, each tool's fitted growth, where the
    cap stopped a tool, and the crossover depths."""
    if not rows:
        return []
    unit = UNITS.get(size_label, ("unit", size_label))
    fits = {m: growth(series(rows, m, lambda r: r["ops"])) for m in methods(rows)}
    lines = [f"- {m}: size {describe(fits[m], *unit) if fits[m] or _counted(rows, m) else 'not counted'}"
             f"; build + one evaluation {describe_step(step_factor(series(rows, m, total)), unit[0])}"
             + (f"; {why}" if (why := stopped.get(m)) else "") for m in methods(rows)]
    by_class = {c: [m for m, fit in fits.items() if size_class(fit) == c] for c in GROWTH_WORDS}
    verdict = ("Derivative size grows " + "; ".join(
        f"{GROWTH_WORDS[c]} for {names(found)}" for c, found in by_class.items() if found) + "."
        if any(by_class.values()) else "Too few depths to fit how any size grows.")
    return [
        "## Derivative size, build time, error\n\n" + INTRO.format(where=where),
        "Derivative size (operations; – where not counted):\n\n"
        + _pivot(rows, size_label, lambda r: "–" if r["ops"] is None else r["ops"]),
        "Build time (ms):\n\n" + _pivot(rows, size_label, lambda r: _ms(r["build_s"])),
        "Build + one evaluation at the points (ms):\n\n" + _pivot(rows, size_label,
                                                                  lambda r: _ms(total(r))),
        "Error ρ, the largest over the points, against the certified reference:\n\n"
        + _pivot(rows, size_label, lambda r: scientific(None if math.isnan(r["error"])
                                                         else r["error"])),
        "## Growth\n\nOver the deeper half of the depths each tool ran: the size's better fit "
        "(exponential or power law), and the mean factor per unit depth of build + one "
        "evaluation:\n\n"
        + "\n".join(lines) + "\n\n" + verdict,
        "## Crossover\n\nThe first depth from which an AD tool's build + one evaluation stays below "
        "the symbolic tool's at every deeper depth measured (a tool stopped by the cap counts as "
        "costing more than the cap):\n\n" + _crossover_table(rows, cap_s),
    ]


def _counted(rows: Sequence[dict], method: str) -> bool:
    return any(r["ops"] is not None for r in rows if r["method"] == method)


def panels(rows: Sequence[dict], size_label: str) -> list[dict]:
    """Log-log figure panels: size, build time and build + one evaluation against depth."""
    found = []
    for title, ylabel, value in (("derivative size", "operations", lambda r: r["ops"]),
                                 ("time to build the derivative", "seconds",
                                  lambda r: r["build_s"]),
                                 ("build + one evaluation", "seconds", total)):
        lines = {m: [[d, v] for d, v in series(rows, m, value) if v is not None and v > 0]
                 for m in methods(rows)}
        found.append(dict(title=title, xlabel=size_label, ylabel=ylabel, lines=lines))
    return found


def notes(r: SweepResult) -> list[str]:
    """The swell page's notes from the sweep's attached records."""
    rows = r.extra.get("rows", [])
    first, last, count = r.extra.get("points", [0.0, 0.0, 0])
    return record_notes(rows, r.extra.get("cap_s", 0.0), r.stopped, r.size_label,
                        f"{count} points from {first:g} to {last:g}")


def draw(r: SweepResult, out: Path) -> str:
    """The size, build and build + evaluation panels as one PNG; its file name ('' without rows)."""
    rows = r.extra.get("rows", [])
    return draw_panels(panels(rows, r.size_label), Path(out), f"{r.name}-panels.png") if rows else ""
