"""The benchmark pages' figures. Every series gets its own colour-and-marker pair (no two series of
a figure share both); when more than MAX_SERIES series would share a panel, the panel is split into
facets by the rows' mode (reverse, forward, symbolic, …); every column of panels has a legend below
it; reference lines are drawn only with a legend entry that says what they are."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from lab.bench.harness import Timing
from lab.bench.labels import MODES
from lab.bench.runner import SweepResult
from lab.output.figures import plt

MAX_SERIES = 10
MARKERS = "osD^v<>PXph*8dH"


def palette(n: int) -> list[tuple[tuple, str]]:
    """n (colour, marker) pairs, all distinct: tab10's ten hues for up to ten series (what one
    panel holds), tab20's for more, the markers cycling beside them."""
    colours = plt.get_cmap("tab10" if n <= 10 else "tab20").colors
    return [(colours[i % len(colours)], MARKERS[i % len(MARKERS)]) for i in range(n)]


def series(r: SweepResult) -> dict[tuple[str, str], list[Timing]]:
    """(row, problem shape) → its timings by size: one plotted line each, so that problems of
    different shapes (10 against 1000 classes) are never joined into one line."""
    lines: dict[tuple[str, str], list[Timing]] = {}
    for t in sorted(r.timings, key=lambda t: t.size):
        lines.setdefault((t.method, r.groups.get(t.size, "")), []).append(t)
    return lines


def facets(r: SweepResult) -> list[tuple[str, list[str]]]:
    """(title, rows) per panel: every row in one panel, or one panel per mode when there are more
    than MAX_SERIES rows."""
    rows = list(dict.fromkeys(t.method for t in r.timings))
    if len(rows) <= MAX_SERIES:
        return [("every method", rows)]
    by_mode = [(m, ks) for m in MODES if (ks := [k for k in rows if r.labels[k].mode == m])]
    # Neighbouring modes share a panel while it stays within MAX_SERIES series.
    merged: list[tuple[list[str], list[str]]] = []
    for mode, keys in by_mode:
        if merged and len(merged[-1][1]) + len(keys) <= MAX_SERIES:
            merged[-1][0].append(mode)
            merged[-1][1].extend(keys)
        else:
            merged.append(([mode], list(keys)))
    return [("mode: " + ", ".join(modes), keys) for modes, keys in merged]


def plot(r: SweepResult, out: Path) -> str:
    """Log-log against size, one column per facet: the median time per call (top), the ratio to the
    row's own primal (middle, when primals were timed) and the first call's overhead — compile,
    trace or symbolic build — (bottom); under each column one legend, an entry per method and
    one per problem shape (its line style); returns the PNG's file name."""
    panels = facets(r)
    rows = [("time", "median time per call (s)", lambda t: t.median_s)]
    if r.primal:
        rows.append(("ratio to the row's own primal", "time ÷ primal (same library)", r.ratio))
    rows.append(("first call's overhead (compile, trace, build)", "first call − median (s)",
                 lambda t: t.compile_s if t.compile_s > 0 else None))
    fig, axes = plt.subplots(len(rows), len(panels), figsize=(5.6 * len(panels), 3.6 * len(rows)),
                             squeeze=False)
    groups = list(dict.fromkeys(r.groups.get(t.size, "") for t in r.timings))
    dashes = dict(zip(groups, ("-", "--", ":", "-."), strict=False))
    for col, (title, members) in enumerate(panels):
        style = dict(zip(members, palette(len(members)), strict=True))  # distinct within a panel
        for (key, group), ts in series(r).items():
            if key not in members:
                continue
            colour, marker = style[key]
            kw = dict(color=colour, marker=marker, ms=4, ls=dashes.get(group, "-"))
            for row, (_, _, value) in enumerate(rows):
                points = [(t.size, v) for t in ts if (v := value(t)) is not None]
                if points:
                    axes[row, col].loglog(*zip(*points, strict=True), **kw)
        for row, (what, ylabel, _) in enumerate(rows):
            axes[row, col].set(xlabel=r.size_label, ylabel=ylabel)
            axes[row, col].set_title(f"{what}; {title}", fontsize=9)
            axes[row, col].grid(True, which="major", alpha=0.3)
        if r.primal:
            axes[1, col].axhline(1.0, color="gray", lw=1, ls=":", label="= one primal evaluation")
            axes[1, col].legend(fontsize=7, loc="best")
        handles = [plt.Line2D([], [], color=c, marker=m, ms=4, ls="-", label=key)
                   for key, (c, m) in style.items()]
        if len(groups) > 1:
            handles += [plt.Line2D([], [], color="black", ls=dashes[g], label=g) for g in groups]
        axes[-1, col].legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.22),
                             ncol=2, fontsize=7, frameon=False)
    fig.suptitle(r.title, fontsize=10)
    return save(fig, out / f"{r.name}.png")


def finish(fig) -> None:
    """A grid and a legend on every panel that has lines."""
    for ax in fig.axes:
        ax.grid(True, which="major", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6, ncol=1 if len(ax.get_legend_handles_labels()[0]) <= 8 else 2)


def panels(specs: Sequence[dict], out: Path, name: str,
           order: Callable[[str], int] | None = None) -> str:
    """Log-log panels side by side from specs (title, xlabel, ylabel, lines: label → [[x, y], …]),
    one colour-and-marker pair per label across panels; returns the PNG's file name ('' if none)."""
    if not specs:
        return ""
    labels = list(dict.fromkeys(k for s in specs for k in s["lines"]))
    style = dict(zip(labels, palette(len(labels)), strict=True))
    fig, axes = plt.subplots(1, len(specs), figsize=(5.5 * len(specs), 4.4), squeeze=False)
    for ax, spec in zip(axes[0], specs, strict=True):
        for label, points in spec["lines"].items():
            if points:
                colour, marker = style[label]
                ax.loglog(*zip(*points, strict=True), color=colour, marker=marker, ms=4, label=label)
        ax.set(xlabel=spec["xlabel"], ylabel=spec["ylabel"])
        ax.set_title(spec["title"], fontsize=9)
    finish(fig)
    return save(fig, out / name)


def save(fig, path: Path) -> str:
    """Write fig as PNG at path, whole or not at all, without timestamps; returns the file name."""
    fig.tight_layout()
    buffer = io.BytesIO()
    # No timestamps in the file, so that a rerun with equal numbers writes identical bytes.
    # "tight" keeps the legends set below a column's last panel inside the image.
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temp.write_bytes(buffer.getvalue())
    os.replace(temp, path)
    return path.name
