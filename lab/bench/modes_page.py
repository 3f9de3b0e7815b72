"""What the forward-against-reverse sweep (`lab.bench.modes`) says and shows: each timed method's
role (what it computes, in which mode, paired with which), notes computed from the timings (the
fitted slope of time against the textbook's count of sweeps, where the cost goes when the sweeps do
not set it, the shape where forward mode overtakes reverse mode, what one product costs), and the
figure of time against m with forward and reverse lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lab.bench.sweeps import SweepResult
from lab.output.figures import COLORS, plt
from lab.output.folders import atomic_write

# Cost ∝ sweeps when time grows at least as (sweeps)^0.7 over the sweep; below that, the count of
# sweeps is not what sets the cost.
TEXTBOOK_SLOPE = 0.7
ONE_THREAD = "1 thread"  # the suffix of a method timed again on one intra-op thread


@dataclass(frozen=True)
class Role:
    """What a timed method computes (kind: jacobian, jvp, vjp, hvp), in which mode, and the engine
    it is paired with for the crossover; batched = all sweeps in one vectorized call (vmap, pfor)."""

    kind: str
    mode: str  # forward, reverse, exact, forward-over-reverse, reverse-over-reverse
    engine: str
    batched: bool = False


ROLES = {
    "torch.func jacfwd (vmap)": Role("jacobian", "forward", "torch.func", True),
    "torch.func jacrev (vmap)": Role("jacobian", "reverse", "torch.func", True),
    "torch.func jacfwd (vmap), 1 thread": Role("jacobian", "forward", "torch.func, 1 thread", True),
    "torch.func jacrev (vmap), 1 thread": Role("jacobian", "reverse", "torch.func, 1 thread", True),
    "torch.autograd jacobian, row by row": Role("jacobian", "reverse", "torch.autograd"),
    "JAX jit(jacfwd)": Role("jacobian", "forward", "JAX", True),
    "JAX jit(jacrev)": Role("jacobian", "reverse", "JAX", True),
    "TensorFlow ForwardAccumulator, pfor": Role("jacobian", "forward", "TensorFlow pfor", True),
    "TensorFlow GradientTape.jacobian, pfor": Role("jacobian", "reverse", "TensorFlow pfor", True),
    "TensorFlow ForwardAccumulator, column by column": Role("jacobian", "forward", "TensorFlow loop"),
    "TensorFlow GradientTape.jacobian, row by row": Role("jacobian", "reverse", "TensorFlow loop"),
    "Taylor forward mode (lab), column by column": Role("jacobian", "forward", "lab"),
    "tape reverse mode (lab), row by row": Role("jacobian", "reverse", "lab"),
    "central FD, column by column": Role("jacobian", "forward", "finite differences"),
    "closed form (1 − y²)·W": Role("jacobian", "exact", "numpy"),
    "torch.func jvp": Role("jvp", "forward", "torch.func"),
    "JAX jit(jvp)": Role("jvp", "forward", "JAX"),
    "Taylor JVP (lab)": Role("jvp", "forward", "lab"),
    "torch.func vjp": Role("vjp", "reverse", "torch.func"),
    "JAX jit(vjp)": Role("vjp", "reverse", "JAX"),
    "tape VJP (lab)": Role("vjp", "reverse", "lab"),
    "torch.func HVP, forward-over-reverse": Role("hvp", "forward-over-reverse", "torch.func"),
    "torch.func HVP, reverse-over-reverse": Role("hvp", "reverse-over-reverse", "torch.func"),
    "JAX jit HVP, forward-over-reverse": Role("hvp", "forward-over-reverse", "JAX"),
    "JAX jit HVP, reverse-over-reverse": Role("hvp", "reverse-over-reverse", "JAX"),
    "tape HVP, reverse-over-reverse (lab)": Role("hvp", "reverse-over-reverse", "lab"),
}


def sweeps_of(role: Role, m: int, total: int) -> int:
    """The textbook's count of sweeps for a full Jacobian: n = total/m forward, m reverse."""
    return total // m if role.mode == "forward" else m


def _timings(r: SweepResult, method: str) -> list:
    return sorted((t for t in r.timings if t.method == method), key=lambda t: t.size)


def slope(r: SweepResult, method: str, total: int) -> float | None:
    """Least-squares slope of log(median time) against log(sweeps); None with < 2 shapes."""
    ts = _timings(r, method)
    counts = [sweeps_of(ROLES[method], t.size, total) for t in ts]
    if len(set(counts)) < 2:
        return None
    return float(np.polyfit(np.log(counts), np.log([t.median_s for t in ts]), 1)[0])


def _spread(r: SweepResult, method: str) -> float:
    times = [t.median_s for t in r.timings if t.method == method]
    return max(times) / min(times)


def _q(name: str) -> str:
    """A method or engine name as code, so that the commas inside names do not read as lists."""
    return f"`{name}`"


def _seconds(s: float) -> str:
    return f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} µs"


def _jacobians(r: SweepResult) -> list[str]:
    found = dict.fromkeys(t.method for t in r.timings)
    return [m for m in found if m in ROLES and ROLES[m].kind == "jacobian"
            and ROLES[m].mode in ("forward", "reverse")]


def slope_note(r: SweepResult, total: int) -> str:
    """Each Jacobian method's fitted slope, and which follow the textbook."""
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
    ts = sorted(_timings(r, method), key=lambda t: sweeps_of(ROLES[method], t.size, total))
    counts = [sweeps_of(ROLES[method], t.size, total) for t in ts]
    per = (ts[-1].median_s - ts[0].median_s) / (counts[-1] - counts[0])
    return ts[0].median_s - per * counts[0], per, counts


def cost_note(r: SweepResult, total: int) -> str:
    """Why the deviating methods deviate: their fixed cost per call against their cost per sweep,
    and at how many of the shapes the fixed cost is the larger part."""
    slopes = {m: s for m in _jacobians(r) if (s := slope(r, m, total)) is not None}
    parts = []
    for m in (m for m, s in slopes.items() if s < TEXTBOOK_SLOPE):
        fixed, per, counts = linear_cost(r, m, total)
        batched = " (batched: every sweep in one vectorized call)" if ROLES[m].batched else ""
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
            + (f" The methods with cost ∝ sweeps pay {_seconds(min(follow))} to "
               f"{_seconds(max(follow))} per sweep." if follow else ""))


def crossover_note(r: SweepResult, total: int) -> str:
    """Per engine, the shape where its forward Jacobian becomes faster than its reverse one."""
    sentences = []
    for engine in dict.fromkeys(ROLES[m].engine for m in _jacobians(r)):
        pair = {ROLES[m].mode: m for m in _jacobians(r) if ROLES[m].engine == engine}
        if len(pair) < 2:
            continue
        sizes = sorted({t.size for t in r.timings})
        ratio = {m: r.at(pair["forward"], m).median_s / r.at(pair["reverse"], m).median_s
                 for m in sizes if r.at(pair["forward"], m) and r.at(pair["reverse"], m)}
        if len(ratio) >= 2:
            sentences.append(f"{_q(engine)}: " + crossing(ratio, total))
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


def threads_note(r: SweepResult) -> str:
    """The methods timed twice, with the library's default threads and with one: how much the
    default costs, at the shape where it costs most."""
    found = dict.fromkeys(t.method for t in r.timings)
    parts = []
    for method in found:
        single = f"{method}, {ONE_THREAD}"
        if single not in found:
            continue
        sizes = sorted({t.size for t in r.timings})
        ratio = {m: r.at(method, m).median_s / r.at(single, m).median_s for m in sizes
                 if r.at(method, m) and r.at(single, m)}
        if ratio:
            worst = max(ratio, key=ratio.get)
            parts.append(f"{_q(method)} takes {ratio[worst]:.3g}× its one-thread time at m = {worst} "
                         f"(median over the shapes {np.median(list(ratio.values())):.3g}×)")
    if not parts:
        return ""
    return ("With the library's default intra-op threads against one thread: " + "; ".join(parts)
            + ".")


def product_note(r: SweepResult) -> str:
    """One product costs about one sweep whatever the shape; HVP forward-over-reverse against
    reverse-over-reverse, and against a VJP."""
    products = [m for m in dict.fromkeys(t.method for t in r.timings)
                if m in ROLES and ROLES[m].kind in ("jvp", "vjp", "hvp")]
    if not products:
        return ""
    worst = max(products, key=lambda m: _spread(r, m))
    text = (f"One product at a time: across the shapes the time of each JVP, VJP and HVP changes "
            f"by at most {_spread(r, worst):.3g}× ({_q(worst)}).")
    for engine in dict.fromkeys(ROLES[m].engine for m in products):
        mine = {(ROLES[m].kind, ROLES[m].mode): m for m in products if ROLES[m].engine == engine}
        fwd, rev = mine.get(("hvp", "forward-over-reverse")), mine.get(("hvp", "reverse-over-reverse"))
        vjp = mine.get(("vjp", "reverse"))
        parts = []
        if fwd and rev:
            parts.append(f"an HVP forward-over-reverse takes {_median_ratio(r, fwd, rev):.3g}× the "
                         "time of reverse-over-reverse")
        if (hvp := fwd or rev) and vjp:
            parts.append(f"an HVP ({ROLES[hvp].mode}) takes {_median_ratio(r, hvp, vjp):.3g}× a VJP")
        if parts:
            text += f" {_q(engine)}: {' and '.join(parts)} (medians over the shapes)."
    return text


def _median_ratio(r: SweepResult, a: str, b: str) -> float:
    sizes = sorted({t.size for t in r.timings})
    return float(np.median([r.at(a, m).median_s / r.at(b, m).median_s for m in sizes
                            if r.at(a, m) and r.at(b, m)]))


def notes(r: SweepResult, total: int) -> list[str]:
    """Every note of the page, each computed from this run's timings."""
    found = (slope_note(r, total), cost_note(r, total), crossover_note(r, total), threads_note(r),
             product_note(r))
    return [n for n in found if n]


# --- the figure ---------------------------------------------------------------------------------
STYLES = {"forward": ("-", "o"), "reverse": ("--", "s"), "exact": (":", "D"),
          "forward-over-reverse": ("-", "^"), "reverse-over-reverse": ("--", "v")}
GUIDES = (("Taylor forward mode (lab), column by column", "∝ n (textbook forward)"),
          ("tape reverse mode (lab), row by row", "∝ m (textbook reverse)"))


def draw(r: SweepResult, out: Path, total: int) -> str:
    """Time against m, log-log: full Jacobians (left) and single products (right); solid lines
    forward mode, dashed reverse, one colour per engine; wide gray lines the textbook's ∝ n and
    ∝ m through the lab's own two modes. Returns the PNG's file name."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.2))
    engines = list(dict.fromkeys(ROLES[t.method].engine for t in r.timings if t.method in ROLES))
    for method in dict.fromkeys(t.method for t in r.timings):
        role = ROLES.get(method)
        if role is None:
            continue
        ts = _timings(r, method)
        ls, marker = STYLES[role.mode]
        axes[0 if role.kind == "jacobian" else 1].loglog(
            [t.size for t in ts], [t.median_s for t in ts], ls=ls, marker=marker, ms=4,
            color=COLORS[engines.index(role.engine) % len(COLORS)], label=method)
    _guides(axes[0], r, total)
    for ax, title in zip(axes, ("full Jacobian", "one product (JVP, VJP, HVP)"), strict=True):
        ax.set(xlabel="m (outputs)", ylabel="median time (s)")
        ax.set_title(f"{title}; n·m = {total}", fontsize=9)
        top = ax.secondary_xaxis("top", functions=(lambda m: total / np.maximum(m, 1e-12),
                                                   lambda n: total / np.maximum(n, 1e-12)))
        top.set_xlabel("n (inputs)")
        ax.grid(True, which="major", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.tight_layout()
    path = Path(out) / f"{r.name}.png"
    # No timestamps in the file, so that a rerun with equal numbers writes identical bytes.
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110, metadata={"Software": None}))
    plt.close(fig)
    return path.name


def _guides(ax, r: SweepResult, total: int) -> None:
    """The textbook's lines, each through its lab method at the shape with the most sweeps."""
    for method, label in GUIDES:
        ts = _timings(r, method)
        if len(ts) < 2:
            continue
        role, ms = ROLES[method], np.array([t.size for t in ts])
        anchor = max(ts, key=lambda t: sweeps_of(role, t.size, total))
        counts = np.array([sweeps_of(role, m, total) for m in ms])
        ax.loglog(ms, anchor.median_s * counts / sweeps_of(role, anchor.size, total), color="gray",
                  lw=3, alpha=0.3, ls="-" if role.mode == "forward" else "--", label=label)
