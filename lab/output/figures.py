"""Matplotlib figures for the report. Each function draws one PNG and returns its file name."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def save(fig, out: Path, name: str) -> str:
    """Write `fig` as out/name (PNG), close it, and return the name for a markdown link."""
    fig.tight_layout()
    # No timestamps in the file, so that a rerun writes identical bytes.
    fig.savefig(out / name, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return name


def polynomial_panels(x, hand: list[np.ndarray], by_method: dict[str, list[np.ndarray]],
                      out: Path) -> str:
    """Left: p0…p4 by the power rule. Right: every backend's k-th derivative over the hand rule."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    a.set_title("Power rule (closed forms p0…p4)")
    for k, y in enumerate(hand):
        if y is not None:  # a closed form that raised has no values to draw
            a.plot(x, y, label=f"$p_{k}(x)$", color=COLORS[k])
    b.set_title("Each backend's $d^k p_0/dx^k$ (markers) over $p_k$ (lines)")
    markers = "o^sv<>dPX*hH"
    for k, y in enumerate(hand[1:], start=1):
        if y is not None:
            b.plot(x, y, color=COLORS[k], lw=1)
        for j, (name, values) in enumerate(by_method.items()):
            if values[k - 1] is not None:
                b.plot(x[::11], values[k - 1][::11], markers[j % len(markers)], ms=4,
                       color=COLORS[k], alpha=0.6, label=name if k == 1 else None)
    for ax in (a, b):
        ax.axhline(0, color="gray", lw=0.5)
        ax.set_xlabel("x")
    a.legend()
    b.legend(fontsize=7, ncol=2)
    return save(fig, out, "polynomial.png")


def jacobian_heatmaps(z, computed: np.ndarray, closed: np.ndarray, label: str, out: Path) -> str:
    """The softmax Jacobian from AD beside diag(p) − p pᵀ, and their difference."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    lim = np.abs(closed).max()
    for ax, m, title in ((axes[0], computed, label), (axes[1], closed, r"closed form diag(p) − p pᵀ")):
        im = ax.imshow(m, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(title)
        fig.colorbar(im, ax=ax, shrink=0.8)
    diff = computed - closed
    im = axes[2].imshow(diff, cmap="RdBu_r")
    axes[2].set_title(f"difference (max |Δ| = {np.abs(diff).max():.1e})")
    fig.colorbar(im, ax=axes[2], shrink=0.8)
    for ax in axes:
        ax.set_xlabel("j (∂/∂z_j)")
        ax.set_ylabel("i (p_i)")
    return save(fig, out, "softmax_jacobian.png")


def loss_curves(d, curves: dict[float, dict[str, np.ndarray]], grads: dict[float, dict[str, np.ndarray]],
                out: Path) -> str:
    """Losses (top) and ∂loss/∂z₁ (bottom) against z₁ − z₀, one column per target y₁."""
    fig, axes = plt.subplots(2, len(curves), figsize=(5 * len(curves), 7.5), sharex=True,
                             squeeze=False)
    styles = {"KL": ("b", "-"), "CE": ("g", "--"), "SE": ("r", "-"), "L1": ("orange", ":"),
              "course plot (2·…)": ("k", ":")}
    for col, y1 in enumerate(curves):
        top, bottom = axes[0, col], axes[1, col]
        for name, v in curves[y1].items():
            top.plot(d, v, color=styles[name][0], ls=styles[name][1], label=name)
        for name, v in grads[y1].items():
            bottom.plot(d, v, color=styles[name][0], ls=styles[name][1], label=f"∂{name}/∂z₁"
                        if name in styles and "course" not in name else name)
        top.set_title(f"loss on softmax, target y₁ = {y1}")
        top.set_ylim(0, 3)
        bottom.set_title(f"gradient with respect to z₁, y₁ = {y1}")
        bottom.set_ylim(-1.05, 1.05)
        bottom.axhline(0, color="gray", lw=0.5)
        bottom.set_xlabel("z₁ − z₀")
        top.legend(fontsize=8)
        bottom.legend(fontsize=8)
    return save(fig, out, "loss_curves.png")


def error_vs_step(steps: np.ndarray, errors: dict[str, dict[str, np.ndarray]], out: Path) -> str:
    """log-log error against h, one panel per test function, one line per stencil."""
    cols = 3
    rows = -(-len(errors) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(13, 3.8 * rows), sharey=True, squeeze=False)
    axes = axes.ravel()
    for ax in axes[len(errors):]:
        ax.set_visible(False)
    for ax, (title, by_variant) in zip(axes, errors.items(), strict=False):
        for name, e in by_variant.items():
            ax.loglog(steps, np.maximum(e, 1e-18), marker=".", label=name)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("step h")
        ax.invert_xaxis()
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes[::cols]:
        ax.set_ylabel("error ρ against the exact value")
    axes[0].legend(fontsize=8)
    return save(fig, out, "finite_difference_steps.png")


def logic_grids(panels: list[tuple[str, np.ndarray]], out: Path) -> str:
    """One 2×2 panel per boolean function in the course's colours: white +1, black −1, orange 0."""
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(["black", "orange", "white"])
    cols = 4
    fig, axes = plt.subplots(-(-len(panels) // cols), cols, figsize=(9, 9.5))
    for ax, (title, grid) in zip(axes.ravel(), panels, strict=True):
        ax.imshow(grid, cmap=cmap, vmin=-1, vmax=1, extent=[-2, 2, -2, 2], origin="lower")
        ax.set_xticks([-1, 1], ["a=−1", "a=+1"], fontsize=7)
        ax.set_yticks([-1, 1], ["b=−1", "b=+1"], fontsize=7)
        ax.tick_params(length=0)
        ax.set_title(title, fontsize=9)
        for spine in ax.spines.values():
            spine.set_edgecolor("gray")
    return save(fig, out, "logic.png")


def computation_graph(nodes: dict[str, tuple[float, float]], out: Path) -> str:
    """e = (a + b)(b + 1) drawn with each node's forward value and backward adjoint."""
    pos = {"a": (0, 1), "b": (0, -1), "c = a + b": (1.6, 0.8), "d = b + 1": (1.6, -0.8),
           "e = c·d": (3.2, 0)}
    edges = [("a", "c = a + b"), ("b", "c = a + b"), ("b", "d = b + 1"), ("c = a + b", "e = c·d"),
             ("d = b + 1", "e = c·d")]
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for u, v in edges:
        ax.annotate("", xy=pos[v], xytext=pos[u],
                    arrowprops={"arrowstyle": "->", "color": "gray", "shrinkA": 28, "shrinkB": 28})
    for name, (x, y) in pos.items():
        value, adjoint = nodes[name]
        ax.text(x, y, f"{name}\nvalue {value:g}\n∂e/∂· = {adjoint:g}", ha="center", va="center",
                fontsize=9, bbox={"boxstyle": "round", "fc": "#eef", "ec": "#446"})
    ax.set_xlim(-0.7, 3.9)
    ax.set_ylim(-1.6, 1.6)
    ax.axis("off")
    ax.set_title("forward values (a = 2, b = 1) and adjoints from the numpy tape")
    return save(fig, out, "graph.png")
