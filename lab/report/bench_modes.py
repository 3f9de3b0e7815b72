"""What the forward-against-reverse sweep (`lab.bench.modes`) says and shows, computed from its
record: the fitted slope of each Jacobian row's time against the textbook's count of sweeps (n for
forward mode and finite differences, m for reverse mode), where the cost goes when the sweeps do not
set it, the shape where forward mode overtakes reverse mode for each pair of rows of one engine,
and the figure of time against m. Rows are chosen by their labels' fields, pairs by registry label.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from lab.bench.runner import SweepResult
from lab.output.figures import plt
from lab.report.bench_figures import finish, palette, save

# Cost ∝ sweeps when time grows at least as (sweeps)^0.7 over the sweep; below that, the count of
# sweeps is not what sets the cost.
TEXTBOOK_SLOPE = 0.7
# Forward and reverse rows of one engine, by registry label: the crossover is read per pair.
PAIRS = (("torch.func", "torch.func.jacfwd", "torch.func.jacrev"), ("JAX", "jax.jacfwd", "jax.grad"),
         ("lab", "taylor.forward", "tape.reverse"))
# Registry rows that push all sweeps through one vectorized call (vmap, pfor).
BATCHED = frozenset({"torch.func.jacfwd", "torch.func.jacrev", "jax.jacfwd", "jax.grad", "jax.jit",
                     "tensorflow.jacobian", "tensorflow.function"})


def total_of(r: SweepResult) -> int:
    """n·m, read from the sweep's size label ('m (outputs; n = 1024/m inputs)')."""
    found = re.search(r"n = (\d+)/m", r.size_label)
    return int(found.group(1)) if found else max(t.size for t in r.timings)


def sweeps_of(mode: str, m: int, total: int) -> int:
    """The textbook's count of sweeps for a full Jacobian: n = total/m forward (and for finite
    differences, one pass per column), m reverse."""
    return m if mode == "reverse" else total // m


def _jacobians(r: SweepResult) -> list[str]:
    return [k for k in dict.fromkeys(t.method for t in r.timings)
            if r.labels[k].mode in ("forward", "reverse", "numerical")]


def _timings(r: SweepResult, method: str) -> list:
    return sorted((t for t in r.timings if t.method == method), key=lambda t: t.size)


def slope(r: SweepResult, method: str, total: int) -> float | None:
    """Least-squares slope of log(median time) against log(sweeps); None with < 2 shapes."""
    ts, mode = _timings(r, method), r.labels[method].mode
    counts = [sweeps_of(mode, t.size, total) for t in ts]
    if len(set(counts)) < 2:
        return None
    return float(np.polyfit(np.log(counts), np.log([t.median_s for t in ts]), 1)[0])


def _spread(r: SweepResult, method: str) -> float:
    times = [t.median_s for t in r.timings if t.method == method]
    return max(times) / min(times)


def _q(name: str) -> str:
    return f"`{name}`"


def _seconds(s: float) -> str:
    return f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} µs"


def slope_note(r: SweepResult, total: int) -> str:
    """Each Jacobian row's fitted slope, and which follow the textbook."""
    slopes = {m: s for m in _jacobians(r) if (s := slope(r, m, total)) is not None}
    if not slopes:
        return ""
    follow = [m for m, s in slopes.items() if s >= TEXTBOOK_SLOPE]
    deviate = [m for m, s in slopes.items() if s < TEXTBOOK_SLOPE]
    text = ("Fitted log-log slope of the median time against the textbook's count of sweeps (n "
            "for forward mode and finite differences, m for reverse mode; 1 means cost ∝ sweeps): "
            + "; ".join(f"{_q(m)} {s:.2f}" for m, s in slopes.items()) + ".")
    for group, verb in ((follow, f"Cost ∝ sweeps (slope ≥ {TEXTBOOK_SLOPE})"),
                        (deviate, f"Deviating from the textbook (slope < {TEXTBOOK_SLOPE})")):
        if group:
            text += (f" {verb}: {', '.join(map(_q, group))} — their time changes "
                     f"{min(_spread(r, m) for m in group):.3g}× to "
                     f"{max(_spread(r, m) for m in group):.3g}× across the shapes.")
    return text


def linear_cost(r: SweepResult, method: str, total: int) -> tuple[float, float, list[int]]:
    """(fixed, per sweep, sweep counts): time = fixed + per-sweep × sweeps through the shapes with
    the fewest and the most sweeps."""
    mode = r.labels[method].mode
    ts = sorted(_timings(r, method), key=lambda t: sweeps_of(mode, t.size, total))
    counts = [sweeps_of(mode, t.size, total) for t in ts]
    per = (ts[-1].median_s - ts[0].median_s) / (counts[-1] - counts[0])
    return ts[0].median_s - per * counts[0], per, counts


def cost_note(r: SweepResult, total: int) -> str:
    """Why the deviating rows deviate: their fixed cost per call against their cost per sweep."""
    slopes = {m: s for m in _jacobians(r) if (s := slope(r, m, total)) is not None}
    parts = []
    for m in (m for m, s in slopes.items() if s < TEXTBOOK_SLOPE):
        fixed, per, counts = linear_cost(r, m, total)
        batched = " (batched: every sweep in one vectorized call)" if m in BATCHED else ""
        if per <= 0 or fixed <= 0:
            parts.append(f"{_q(m)}{batched}: no positive fixed and per-sweep split fits its timings")
            continue
        below = sum(c < fixed / per for c in counts)
        parts.append(f"{_q(m)}{batched}: {_seconds(fixed)} per call + {_seconds(per)} per sweep; the "
                     f"fixed cost is the larger part below {fixed / per:.3g} sweeps, at {below} of "
                     f"the {len(counts)} shapes")
    if not parts:
        return ""
    follow = [linear_cost(r, m, total)[1] for m, s in slopes.items() if s >= TEXTBOOK_SLOPE]
    return ("Why they deviate, as time = fixed + per-sweep × sweeps through the shapes with the "
            "fewest and the most sweeps: " + "; ".join(parts) + "."
            + (f" The rows with cost ∝ sweeps pay {_seconds(min(follow))} to "
               f"{_seconds(max(follow))} per sweep." if follow else ""))


def crossover_note(r: SweepResult, total: int) -> str:
    """Per engine, the shape where its forward Jacobian becomes faster than its reverse one."""
    sentences = []
    for engine, forward, reverse in PAIRS:
        sizes = sorted({t.size for t in r.timings})
        ratio = {m: r.at(forward, m).median_s / r.at(reverse, m).median_s
                 for m in sizes if r.at(forward, m) and r.at(reverse, m)}
        if len(ratio) >= 2:
            sentences.append(f"{_q(engine)} ({forward} ÷ {reverse}): " + crossing(ratio, total))
    if not sentences:
        return ""
    return (f"Crossover, forward ÷ reverse Jacobian time per shape (counting sweeps, the textbook "
            f"puts it at n = m ≈ {total**0.5:.3g}): " + " ".join(sentences))


def crossing(ratio: dict[int, float], total: int) -> str:
    """Where forward ÷ reverse (by m, ascending) falls below 1, read from the measured ratios."""
    sizes = list(ratio)
    ends = (f"forward ÷ reverse is {ratio[sizes[0]]:.3g} at {sizes[0]} × {total // sizes[0]} and "
            f"{ratio[sizes[-1]]:.3g} at {sizes[-1]} × {total // sizes[-1]}")
    faster = [ratio[m] < 1 for m in sizes]
    if all(faster):
        return f"forward mode is faster at every shape ({ends})."
    if not any(faster):
        return f"reverse mode is faster at every shape ({ends})."
    switches = [(a, b) for a, b in zip(sizes, sizes[1:], strict=False) if (ratio[a] < 1) != (ratio[b] < 1)]
    if len(switches) > 1:
        return (f"the faster mode changes {len(switches)} times, at m = "
                + ", ".join(f"{a}→{b}" for a, b in switches) + f", where the textbook's count of "
                f"sweeps has one change ({ends}).")
    a, b = switches[0]
    # Where the log of the ratio, interpolated linearly in log m, crosses zero.
    la, lb = np.log(ratio[a]), np.log(ratio[b])
    at = float(np.exp(np.log(a) + (np.log(b) - np.log(a)) * la / (la - lb)))
    first, then, verdict = (("forward", "reverse", "the opposite of the textbook's count of sweeps")
                            if faster[0] else ("reverse", "forward", "as the textbook counts"))
    return (f"{first} mode is faster up to m = {a}, {then} mode from m = {b} on, crossing near "
            f"m ≈ {at:.3g} (n ≈ {total / at:.3g}), {verdict} ({ends}).")



def notes(r: SweepResult) -> list[str]:
    """Every note of the page, each computed from this sweep's timings."""
    if not r.timings:
        return []
    total = total_of(r)
    found = (slope_note(r, total), cost_note(r, total), crossover_note(r, total))
    return [n for n in found if n]


LINES = {"forward": "-", "numerical": "-.", "reverse": "--", "closed form": ":", "baseline": ":"}


FACETS = (("forward mode and finite differences", ("forward", "numerical", "closed form")),
          ("reverse mode", ("reverse", "closed form")))


def draw(r: SweepResult, out: Path) -> str:
    """Time against m, log-log, one panel for forward mode (and finite differences) and one for
    reverse mode, the closed form in both; one colour-and-marker per row; the textbook's models
    (∝ n and ∝ m through the lab's own two rows) as wide gray dashed lines labelled as models.
    Returns the PNG's file name."""
    if not r.timings:
        return ""
    total = total_of(r)
    fig, axes = plt.subplots(1, len(FACETS), figsize=(13, 6), squeeze=False)
    keys = list(dict.fromkeys(t.method for t in r.timings))
    style = dict(zip(keys, palette(len(keys)), strict=True))
    _, forward, reverse = PAIRS[-1]
    for ax, (title, modes), (model, what) in zip(axes[0], FACETS, ((forward, "n"), (reverse, "m")),
                                                  strict=True):
        for key in keys:
            ts, mode = _timings(r, key), r.labels[key].mode
            if mode in modes:
                colour, marker = style[key]
                ax.loglog([t.size for t in ts], [t.median_s for t in ts], ls=LINES.get(mode, "-"),
                          marker=marker, ms=4, color=colour, label=f"{key} ({mode})")
        _model(ax, r, model, what, total)
        ax.set(xlabel="m (outputs)", ylabel="median time (s)")
        ax.set_title(f"full Jacobian, {title}; n·m = {total}", fontsize=9)
        top = ax.secondary_xaxis("top", functions=(lambda m: total / np.maximum(m, 1e-12),
                                                   lambda n: total / np.maximum(n, 1e-12)))
        top.set_xlabel("n (inputs)")
    finish(fig)
    return save(fig, Path(out) / f"{r.name}-modes.png")


def _model(ax, r: SweepResult, method: str, what: str, total: int) -> None:
    """The textbook's model, time ∝ sweeps, through `method` at its shape with the most sweeps."""
    ts = _timings(r, method)
    if len(ts) < 2:
        return
    mode = r.labels[method].mode
    anchor = max(ts, key=lambda t: sweeps_of(mode, t.size, total))
    ms = np.array([t.size for t in ts])
    counts = np.array([sweeps_of(mode, m, total) for m in ms])
    ax.loglog(ms, anchor.median_s * counts / sweeps_of(mode, anchor.size, total), color="gray",
              lw=3, alpha=0.3, ls="--", label=f"model: time ∝ {what} through {method} (not measured)")
