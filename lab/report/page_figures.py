"""The report's figures drawn from its own results where lab.output.figures' general ones do not
read at a glance: every backend's error on the polynomial, the softmax Jacobian's difference on a
scale centred at 0, the diffusion loop's intermediates at a size one can see."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab.output import figures

plt = figures.plt
FLOOR = 1e-18  # where a ρ of exactly 0 is drawn on the log axis
PER_PANEL = 10  # more series than this in one panel and they are split into facets
MARKERS = "o^sv<>dPX*hHp8D"


def polynomial_errors(hand: list[np.ndarray | None], x: np.ndarray,
                      errors: dict[str, list[float | None]], out: Path) -> str:
    """Left: p0…p4 by the power rule. Right, one facet per ≤ PER_PANEL backends: each backend's max
    ρ against the exact reference for orders 1–4 (log axis; 0 drawn at FLOOR), one colour and
    marker per backend, the legend by backend."""
    names = list(errors)
    facets = [names[i:i + PER_PANEL] for i in range(0, len(names), PER_PANEL)] or [[]]
    rows = -(-(1 + len(facets)) // 2)
    fig, axes = plt.subplots(rows, 2, figsize=(14, 4.6 * rows), squeeze=False)
    axes = axes.ravel()
    for ax in axes[1 + len(facets):]:
        ax.set_visible(False)
    left = axes[0]
    for k, y in enumerate(hand):
        if y is not None:  # a closed form that raised has no values to draw
            left.plot(x, y, label=f"$p_{k}(x)$", color=figures.COLORS[k])
    left.axhline(0, color="gray", lw=0.5)
    left.set(title="Power rule: p0…p4", xlabel="x")
    left.legend(fontsize=8)
    cmap = plt.get_cmap("tab20" if len(names) > 10 else "tab10")
    orders = np.arange(1, 5)
    for i, (ax, group) in enumerate(zip(axes[1:], facets, strict=False)):
        for name in group:
            j = names.index(name)
            values = [FLOOR if e == 0 else np.nan if e is None else e for e in errors[name]]
            # A small sideways shift per backend keeps equal errors from hiding each other.
            shift = (group.index(name) - (len(group) - 1) / 2) * 0.05
            ax.semilogy(orders + shift, values, MARKERS[j % len(MARKERS)], ms=6, label=name,
                        color=cmap(j % cmap.N), alpha=0.85)
        ax.axhline(FLOOR, color="gray", lw=0.5, ls=":")
        part = f" ({i + 1} of {len(facets)})" if len(facets) > 1 else ""
        ax.set(xticks=orders, xlabel="derivative order k", ylim=(FLOOR / 3, 1),
               ylabel=f"max ρ (0 drawn at {FLOOR:.0e})", title=f"each backend's max ρ{part}")
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return figures.save(fig, out, "polynomial.png")


def jacobian_heatmaps(computed: np.ndarray, closed: np.ndarray, label: str, out: Path) -> str:
    """An AD Jacobian beside diag(p) − p pᵀ, and their difference on a diverging scale centred
    at 0 (its colour bar in plain scientific ticks, so no offset label meets the title)."""
    from matplotlib.colors import CenteredNorm
    from matplotlib.ticker import FormatStrFormatter

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
    lim = float(np.abs(closed).max()) or 1.0
    for ax, m, title in ((axes[0], computed, label), (axes[1], closed, "closed form diag(p) − p pᵀ")):
        im = ax.imshow(m, cmap="RdBu_r", norm=CenteredNorm(0, lim))
        ax.set_title(title, fontsize=10, pad=10)
        fig.colorbar(im, ax=ax, shrink=0.8)
    diff = computed - closed
    spread = float(np.abs(diff).max())
    im = axes[2].imshow(diff, cmap="RdBu_r", norm=CenteredNorm(0, spread or 1e-300))
    axes[2].set_title(f"difference (max |Δ| = {spread:.1e})", fontsize=10, pad=10)
    fig.colorbar(im, ax=axes[2], shrink=0.8, format=FormatStrFormatter("%.0e"))
    for ax in axes:
        ax.set_xlabel("j (∂/∂z_j)")
        ax.set_ylabel("i (p_i)")
    return figures.save(fig, out, "softmax_jacobian.png")


def intermediates(images: list, out: Path, tile: float = 2.4) -> str:
    """The loop's decoded intermediates in one row, each `tile` inches wide (pixels drawn as
    blocks, not smoothed), the last labelled as the final image."""
    fig, axes = plt.subplots(1, len(images), figsize=(tile * len(images), tile + 0.4), squeeze=False)
    for i, (ax, image) in enumerate(zip(axes[0], images, strict=True)):
        ax.imshow(np.asarray(image.permute(1, 2, 0).float().clamp(0, 1)), interpolation="nearest")
        ax.set_title("final image" if i == len(images) - 1 else f"intermediate {i + 1}", fontsize=9)
        ax.axis("off")
    return figures.save(fig, out, "sd_intermediates.png")
