"""The claims page's figure: the timings and errors its verdicts rest on."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab.output import figures
from lab.report.claims_timings import LIBRARIES, fastest
from lab.report.results import Results


def claims_figure(results: Results, records: list[dict], out: Path) -> str | None:
    """Left: the fastest time per library at each sweep's largest common size. Right: the largest
    error ρ of each family's agreeing rows."""
    plt = figures.plt
    bars = []
    for r in records:
        sizes = sorted({t["size"] for t in r.get("timings", [])})
        if not sizes:
            continue
        at = {lib: fastest(r, m, sizes[-1]) for lib, m in LIBRARIES.items()}
        if sum(v is not None for v in at.values()) >= 2:
            bars.append((f"{r['sweep']} ({sizes[-1]})", at))
    families = {}
    for row in results.rows:
        if row.max_error is not None and row.verdict == "agree":
            families[row.family] = max(families.get(row.family, 0.0), row.max_error)
    if not bars and not families:
        return None
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [3, 1]})
    width = 0.8 / len(LIBRARIES)
    for j, lib in enumerate(LIBRARIES):
        xs = [i + j * width for i, (_, at) in enumerate(bars) if at[lib]]
        ys = [at[lib]["median_s"] for _, at in bars if at[lib]]
        a.bar(xs, ys, width, label=lib, color=figures.COLORS[j])
    a.set_xticks([i + 0.4 - width / 2 for i in range(len(bars))], [n for n, _ in bars],
                 rotation=20, ha="right", fontsize=8)
    a.set_yscale("log")
    a.set_ylabel("median time per call (s)")
    a.set_title("Fastest row per library, largest size of each sweep")
    a.legend(fontsize=8)
    names_ = list(families)
    b.bar(names_, [max(families[n], 1e-17) for n in names_], color=figures.COLORS[:len(names_)])
    b.set_yscale("log")
    b.set_title("Largest ρ of agreeing rows")
    b.axhline(float(np.finfo(np.float64).eps), color="gray", lw=1, ls=":")
    return figures.save(fig, out, "claims.png")
