"""The lecture's claims about the ways of differentiating, each stated with the evidence this run
measured and a verdict: holds, holds with a caveat, fails, or not measured. Each verdict is reached
by some results (tests/test_claims_page.py feeds each claim results that make it hold, hold with a
caveat and fail), and a comparative word is judged against a stated factor (SIMILAR, MUCH_FASTER).

The evidence comes from three places, all computed in the run or by the benchmark sweeps in the
report's `bench/` folder: the cross-check rows (errors against the exact reference), the breakage
studies (lab.studies.breakage) and the step study (lab.studies.steps), and the sweeps' JSON records
(times by library at each size; symbolic expression swell).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lab.output.markdown import md_table, names, scientific
from lab.output.provenance import header
from lab.report.claims_figure import claims_figure
from lab.report.claims_timings import LIBRARIES, bench_records, fastest, largest_common
from lab.report.results import Results

HOLDS, CAVEAT, FAILS, UNMEASURED = "holds", "holds with a caveat", "fails", "not measured"
SIMILAR = 3.0  # two libraries are "similar in performance" when their times are within this factor
MUCH_FASTER = 3.0  # "much faster": at least this factor faster
GROWS = 10.0  # a stencil is unstable when shrinking h past its best step multiplies its error by this


@dataclass
class Claim:
    """One claim of the lecture, the verdict this run gives it and the evidence for it."""

    quote: str
    verdict: str
    evidence: str


# --- the sweeps' timings ----------------------------------------------------------------------------
def _ratio_line(record: dict, size: int, a: dict, b: dict) -> str:
    return (f"{record.get('title', record['sweep'])} at {record.get('size_label', 'size')} {size}: "
            f"{a['method']} {a['median_s'] * 1e3:.3g} ms, {b['method']} {b['median_s'] * 1e3:.3g} ms "
            f"(ratio {a['median_s'] / b['median_s']:.3g})")


def tf_vs_torch(records: list[dict]) -> Claim:
    """TF's eager tape against torch's eager autograd, sweep by sweep at the largest common size."""
    quote = "TF and torch are becoming increasingly similar in style and performance"
    pairs = [(r, *found) for r in records if (found := largest_common(
        r, [LIBRARIES["TensorFlow (eager GradientTape)"], LIBRARIES["torch (eager autograd)"]]))]
    if not pairs:
        return Claim(quote, UNMEASURED, "No benchmark sweep in this report timed both TensorFlow's "
                     "GradientTape and torch's autograd (run `lab bench`).")
    ratios = [tf["median_s"] / pt["median_s"] for _, _, (tf, pt) in pairs]
    spread = [max(x, 1 / x) for x in ratios]
    within = sum(s <= SIMILAR for s in spread)
    verdict = HOLDS if within == len(pairs) else CAVEAT if within else FAILS
    lines = "; ".join(_ratio_line(r, size, tf, pt) for r, size, (tf, pt) in pairs)
    return Claim(quote, verdict,
                 f"Style: both record the operations of an eager Python program on a tape and "
                 f"differentiate it backwards (`tf.GradientTape` / `torch.autograd`). Performance: "
                 f"in {within} of {len(pairs)} sweeps the two are within a factor {SIMILAR:g} of "
                 f"each other (TF/torch from {min(ratios):.2f} to {max(ratios):.2f}): {lines}.")


def jax_faster(records: list[dict]) -> Claim:
    """JAX with jit against the fastest eager library: "much" means at least MUCH_FASTER times."""
    quote = "JAX … much faster"
    eager = [LIBRARIES["torch (eager autograd)"], LIBRARIES["TensorFlow (eager GradientTape)"]]
    lines, speedups, nojit_speedups = [], [], []
    for r in records:
        found = largest_common(r, [LIBRARIES["JAX (jit)"], lambda m: any(e(m) for e in eager)])
        if not found:
            continue
        size, (jit, other) = found
        speedups.append(other["median_s"] / jit["median_s"])
        nojit = fastest(r, LIBRARIES["JAX (no jit)"], size)
        if nojit is not None:
            nojit_speedups.append(other["median_s"] / nojit["median_s"])
        lines.append(_ratio_line(r, size, jit, other) + _first_call(jit)
                     + (f", without jit {nojit['median_s'] * 1e3:.3g} ms" if nojit else ""))
    if not speedups:
        return Claim(quote, UNMEASURED, "No benchmark sweep in this report timed JAX's jit beside "
                     "an eager library (run `lab bench`).")
    much = sum(s >= MUCH_FASTER for s in speedups)
    verdict = HOLDS if much == len(speedups) else CAVEAT if much else FAILS
    return Claim(quote, verdict,
                 f"“Much faster” is taken as at least {MUCH_FASTER:g} times faster. At the largest "
                 f"size of each sweep, JAX with jit is {MUCH_FASTER:g}× or more faster than the "
                 f"fastest eager torch/TensorFlow row in {much} of {len(speedups)} sweeps (speed-up "
                 f"{min(speedups):.3g} to {max(speedups):.3g}); without jit it is "
                 + (f"{min(nojit_speedups):.3g} to {max(nojit_speedups):.3g} times as fast in the "
                    f"{len(nojit_speedups)} that time it" if nojit_speedups else "not timed")
                 + ": " + "; ".join(lines) + ".")


def _first_call(t: dict) -> str:
    """JAX's first call as measured: called a compile only when the record says it ran cold (no
    compiled program cached); otherwise just the first call's time."""
    if t.get("cold"):
        return f", its first call (cold: tracing and compiling) {t['first_call_s'] * 1e3:.3g} ms"
    return f", its first call {t['first_call_s'] * 1e3:.3g} ms"


# --- the cross-check rows ------------------------------------------------------------------------------
def ad_exact(results: Results) -> Claim:
    """AD rows against the exact reference, beside the numerical methods' rows."""
    quote = "AD gives exact results"
    ad = [r for r in results.rows if r.family == "ad"]
    numerical = [r for r in results.rows if r.family == "numerical" and r.max_error is not None]
    if not ad:
        return Claim(quote, UNMEASURED, "No AD row in this run.")
    agree = [r for r in ad if r.verdict == "agree"]
    worst = max((r.max_error for r in agree if r.max_error is not None), default=0.0)
    zero = sum(r.max_error == 0 for r in agree)
    other = sorted({r.verdict for r in ad} - {"agree"})
    num_worst = max((r.max_error for r in numerical), default=None)
    # Exact: every AD row that could run agrees with ρ = 0. Within rounding: agrees, ρ > 0.
    verdict = (FAILS if any(r.verdict == "disagree" for r in ad) or not agree else
               HOLDS if zero == len(agree) else CAVEAT)
    return Claim(quote, verdict,
                 f"{len(agree)} of {len(ad)} AD rows (every AD backend, every exercise and order) "
                 f"agree with the certified reference; {zero} of them exactly (ρ = 0), the largest "
                 f"error is ρ = {scientific(worst)}"
                 + (": exact." if verdict == HOLDS else
                    ": exact up to float64 rounding of the same operations, not exact."
                    if verdict == CAVEAT else ".") + " "
                 + (f"The others say {names(other)}. " if other else "")
                 + (f"Finite differences reach ρ up to {scientific(num_worst)} on the same cases."
                    if num_worst is not None else ""))


# --- the studies -----------------------------------------------------------------------------------------
def _study(results: Results, words: str):
    return next((s for s in results.breakage or [] if words in s.title), None)


def _floats(values) -> list[float]:
    return [v for v in values if isinstance(v, float)]


def no_simplification(results: Results) -> Claim:
    """x·(sin²x + cos²x): SymPy simplifies to x; AD evaluates the identity in floating point."""
    quote = "AD can't simplify sin²x + cos²x"
    s = _study(results, "sin²x + cos²x")
    if s is None:
        return Claim(quote, UNMEASURED, "The identity study did not run.")
    sympy = _floats(s.columns.get("SymPy diff, simplified", []))
    residues = [abs(v) for name, col in s.columns.items() if name.startswith(("torch", "JAX"))
                for v in _floats(col)]
    nonzero = sum(r != 0 for r in residues)
    exact = bool(sympy) and all(v == 1.0 for v in sympy)
    verdict = HOLDS if exact and nonzero else CAVEAT if exact else FAILS
    return Claim(quote, verdict,
                 f"d/dx [x·(sin²x + cos²x)] at {len(s.inputs)} points: SymPy's simplified derivative "
                 f"is {'exactly 1 at every point' if exact else 'not 1 everywhere'}; torch and JAX "
                 f"carry sin²x + cos²x through the computation and miss 1 by a rounding residue at "
                 f"{nonzero} of {len(residues)} values (largest {scientific(max(residues, default=0.0))})"
                 + ("" if nonzero else " — this run found no residue: the identity rounded to 1 "
                    "exactly at these points, but AD still computed it") + ".")


def static_only(results: Results, records: list[dict]) -> Claim:
    """A data-dependent loop: SymPy cannot run it on a symbol; eager AD differentiates the path
    taken. Unrolled loops are static, and the swell sweep shows what they cost symbolically."""
    quote = "symbolic only handles static expressions (what about loops?)"
    s = _study(results, "while abs(x)")
    if s is None:
        return Claim(quote, UNMEASURED, "The loop study did not run.")
    exact = s.columns["exact (piecewise)"]
    smooth = [i for i, v in enumerate(exact) if isinstance(v, float) and math.isfinite(v)]

    def right(column: str) -> int:
        got = s.columns.get(column, [])
        return sum(isinstance(got[i], float) and got[i] == exact[i] for i in smooth)

    eager = {c: right(c) for c in ("torch autograd (eager)", "JAX grad (Python loop)")}
    jit_said = [v for v in s.columns.get("JAX jit(grad) (Python loop)", []) if isinstance(v, str)]
    sympy_said = next((n for n in s.notes if n.startswith("SymPy cannot")), "")
    swell = _swell_sentence(records)
    eager_ok = all(n == len(smooth) for n in eager.values())
    # Holds: SymPy cannot run the data-dependent loop and eager AD differentiates it. The caveat,
    # when the swell sweep measured it: a loop with a fixed trip count is static once unrolled.
    verdict = FAILS if not (eager_ok and "Error" in sympy_said) else CAVEAT if swell else HOLDS
    return Claim(quote, verdict,
                 f"`while abs(x) > 5: x = x / 2` at {len(exact)} points: "
                 + ", ".join(f"{c} gives the exact slope at {n} of {len(smooth)} smooth points"
                             for c, n in eager.items())
                 + "; " + (sympy_said.split(". ")[0] if sympy_said else
                           "SymPy ran the loop on a symbol")
                 + (f"; JAX under jit refuses the Python loop too ({jit_said[0][:80]}…)"
                    if jit_said else "")
                 + (". A loop whose trip count is fixed unrolls into a static expression, which "
                    f"SymPy does differentiate: {swell}" if swell else "") + ".")


def _swell_sentence(records: list[dict]) -> str:
    """The swell sweep's verdict on the unrolled loop: its computed growth summary, the last
    paragraph of its '## Growth' note."""
    loop = [r for r in records if r.get("family") == "swell" and "loop" in r.get("sweep", "")]
    growth = [n for r in loop for n in r.get("notes", []) if n.startswith("## Growth")]
    if not growth:
        return ""
    summary = growth[0].strip().split("\n\n")[-1].rstrip(".")
    return (f"in the [swell sweep](bench/{loop[0]['sweep']}.md)'s unrolled loop, "
            + summary[0].lower() + summary[1:])


def finite_differences(results: Results) -> Claim:
    """Errors of the stencils against the step h, from the step study."""
    from lab.backends.finite import stencil

    quote = "finite differences: easy to implement, arbitrarily inaccurate/unstable"
    if results.steps is None:
        return Claim(quote, UNMEASURED, "The step study did not run.")
    best = [(s.title, name, h, e) for s in results.steps.sweeps for name, (h, e) in s.best().items()
            if name != "complex step"]
    stencils = [(s, name, e) for s in results.steps.sweeps for name, e in s.errors.items()
                if name != "complex step"]
    # The smallest step at which every stencil still moved x (below it, x + h == x).
    last = max(i for i in range(len(results.steps.steps))
               if all(np.isfinite(e[i]) for _, _, e in stencils))
    tiny = [float(e[last]) for _, _, e in stencils]
    growth = [float(e[last]) / max(s.best()[name][1], 1e-300) for s, name, e in stencils]
    lines = len(inspect.getsource(stencil).splitlines())
    worst_best = max(best, key=lambda b: b[3])
    unstable = sum(g >= GROWS for g in growth)
    # Arbitrarily inaccurate: some step leaves no useful digit (ρ > 1e-2); unstable: shrinking h
    # past the best step makes the error grow at least GROWS-fold.
    verdict = HOLDS if max(tiny) > 1e-2 else CAVEAT if unstable else FAILS
    return Claim(quote, verdict,
                 f"Easy: the lab's general stencil is {lines} lines. Inaccurate: over "
                 f"{len(results.steps.sweeps)} test derivatives, even the best step leaves an error "
                 f"of {scientific(min(b[3] for b in best))} to {scientific(worst_best[3])} "
                 f"({worst_best[1]} on {worst_best[0]} at h = {worst_best[2]:g}), and at "
                 f"h = {results.steps.steps[last]:g} the error is {scientific(min(tiny))} to "
                 f"{scientific(max(tiny))}: below the best step the error grew {GROWS:g}-fold or more "
                 f"for {unstable} of {len(stencils)} stencils (at most {max(growth):.2g}-fold); see "
                 "[finite differences](finite-differences.md).")


def accuracy_loss(results: Results) -> Claim:
    """∂accuracy/∂logits by every method: zero off the decision boundary, undefined on it."""
    quote = "accuracy can't be a loss because its gradient is 0 most places"
    s = _study(results, "accuracy")
    if s is None:
        return Claim(quote, UNMEASURED, "The accuracy study did not run.")
    off = [i for i, d in enumerate(s.inputs) if abs(d) > 1e-3]
    ad = [s.columns[c][i] for c in ("torch autograd", "JAX grad") for i in off]
    zero = sum(v == 0.0 for v in ad if isinstance(v, float))
    surrogate = _floats(s.columns.get("∂CE/∂d (surrogate)", []))
    nonzero = sum(v != 0 for v in surrogate)
    sympy = [s.columns["SymPy"][i] for i in off] if "SymPy" in s.columns else []
    said = next((n.split(" — ")[0].removeprefix("SymPy: ") for n in s.notes if n.startswith("SymPy:")), "")
    # Holds: zero at every margin off the boundary while the surrogate's gradient never vanishes;
    # "most places" still holds, with a caveat, when more than half are zero or the surrogate
    # vanishes somewhere too.
    verdict = (HOLDS if zero == len(ad) and surrogate and nonzero == len(surrogate) else
               CAVEAT if 2 * zero > len(ad) else FAILS)
    return Claim(quote, verdict,
                 f"∂accuracy/∂d for a two-class prediction, d the margin z₁ − z₀: at the {len(off)} "
                 f"margins away from the decision boundary, torch and JAX give exactly 0 in {zero} "
                 f"of {len(ad)} values"
                 + (f"; SymPy's exact derivative ({said}) is 0 at {sum(v == '0' for v in sympy)} of "
                    f"{len(sympy)}" if sympy else "")
                 + f". The cross-entropy surrogate's gradient is non-zero at {nonzero} of "
                 f"{len(surrogate)} margins. See [where methods break](graphs-and-breakage.md).")


# --- the page --------------------------------------------------------------------------------------------
def claims(results: Results, out: Path) -> list[Claim]:
    """Every claim with this run's verdict, in the lecture's order."""
    records = bench_records(out)
    return [tf_vs_torch(records), jax_faster(records), ad_exact(results), no_simplification(results),
            static_only(results, records), finite_differences(results), accuracy_loss(results)]


def claims_page(results: Results, out: Path) -> str:
    """The claims table, each claim's evidence, and a figure of the timings and errors behind them."""
    found = claims(results, out)
    counts = {v: sum(c.verdict == v for c in found) for v in (HOLDS, CAVEAT, FAILS, UNMEASURED)}
    figure = claims_figure(results, bench_records(out), out)
    return (header("The lecture's claims, measured", results.inputs_of(results.rows))
            + "Each claim of the lecture “More Gradients” about the ways of differentiating, with "
            "the verdict this run's measurements give it: "
            + ", ".join(f"{n} {v}" for v, n in counts.items() if n) + ".\n\n"
            + md_table(["claim", "verdict"], [(f"“{c.quote}”", f"**{c.verdict}**") for c in found])
            + "\n" + "\n".join(f"## “{c.quote}” — {c.verdict}\n\n{c.evidence}\n" for c in found)
            + (f"\n![timings and errors]({figure})\n" if figure else ""))
