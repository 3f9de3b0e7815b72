"""Where differentiation breaks: accuracy as a loss, a data-dependent loop, an identity AD cannot
see. Each study runs the real libraries and records what they return or say."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
import torch

from lab.backends.finite import central_offsets, stencil
from lab.backends.jaxconfig import jax, jnp


@dataclass
class Study:
    """A table: one row per input, one column per method (a number, or what the method said)."""

    title: str
    inputs: list[float]
    columns: dict[str, list[float | str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _attempt(fn: Callable[[], float]) -> float | str:
    try:
        return float(fn())
    except Exception as e:  # noqa: BLE001 — what the library says is the result
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0][:140]}"


def _central(f: Callable, x: float) -> float:
    h = 6e-6
    return float(stencil(f, np.float64(x), 1, central_offsets(1), (x + h) - x))


# --- accuracy as a loss -------------------------------------------------------------------------
def accuracy_study() -> Study:
    """Accuracy of a 2-class prediction (1 if z₁ > z₀, target class 1) as a function of
    d = z₁ − z₀, against its surrogate CE = −log softmax(z)₁ = log(1 + e^(−d))."""
    ds = [-2.0, -1e-6, 0.0, 1e-6, 2.0]
    d = sp.Symbol("d", real=True)
    exact = sp.diff(sp.Heaviside(d), d)
    s = Study("∂accuracy/∂d (d = z₁ − z₀) against the surrogate ∂CE/∂d", ds)
    s.columns["SymPy"] = [str(exact.subs(d, sp.Float(v))) for v in ds]
    s.columns["torch autograd"] = [_attempt(lambda v=v: _torch_grad(
        lambda t: (t > 0).to(torch.float64) + 0 * t, v)) for v in ds]
    s.columns["JAX grad"] = [_attempt(lambda v=v: jax.grad(
        lambda t: jnp.where(t > 0, 1.0, 0.0) + 0 * t)(v)) for v in ds]
    s.columns["central FD"] = [_central(lambda t: np.where(t > 0, 1.0, 0.0), v) for v in ds]
    s.columns["∂CE/∂d (surrogate)"] = [_attempt(lambda v=v: jax.grad(
        lambda t: jnp.logaddexp(0.0, -t))(v)) for v in ds]
    at_jump, near = ds.index(0.0), ds.index(1e-6)
    surrogate = [v for v in s.columns["∂CE/∂d (surrogate)"] if isinstance(v, float)]
    s.notes.append(f"SymPy: d/dd Heaviside(d) = {exact} — zero everywhere but d = 0, where it is "
                   "an impulse no float can hold. AD differentiates the comparison's branches (both "
                   f"constant): at d = 0 torch gives {s.columns['torch autograd'][at_jump]} and JAX "
                   f"{s.columns['JAX grad'][at_jump]}. Central differences whose stencil straddles "
                   f"the jump give 1/(2h): {_shown(s.columns['central FD'][near])} at d = 1e-6. The "
                   "surrogate's gradient −1/(1 + e^d) is never zero: in this run it ranges over "
                   f"[{min(surrogate):.3g}, {max(surrogate):.3g}], largest in size where the answer "
                   "is worst (d < 0).")
    return s


def _torch_grad(f: Callable, v: float) -> float:
    t = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(f(t), t)
    return g


# --- a data-dependent loop ----------------------------------------------------------------------
def halve_until_small(x):
    """The lecture's loop: while |x| > 5: x = x / 2."""
    while abs(x) > 5:
        x = x / 2
    return x


def _halve_with_lax(x):
    return jax.lax.while_loop(lambda v: jnp.abs(v) > 5, lambda v: v / 2, x)


def loop_reference(x: float) -> float:
    """f'(x) = 2⁻ᵏ with k the number of halvings; undefined (nan) where f jumps, |x| = 5·2ʲ, j ≥ 1
    (and at |x| = 5 itself: f(5) = 5 but f(5 + ε) ≈ 2.5)."""
    k, v = 0, abs(x)
    while v > 5:
        v, k = v / 2, k + 1
    return float("nan") if v == 5 else 2.0**-k


def loop_study() -> Study:
    xs = [3.0, 7.0, 12.0, -30.0, 10.0, 1000.0]
    s = Study("∂/∂x of `while abs(x) > 5: x = x / 2`", xs)
    s.columns["exact (piecewise)"] = [loop_reference(x) for x in xs]
    s.columns["torch autograd (eager)"] = [_attempt(lambda v=v: _torch_grad(halve_until_small, v))
                                           for v in xs]
    s.columns["JAX grad (Python loop)"] = [_attempt(lambda v=v: jax.grad(halve_until_small)(v))
                                           for v in xs]
    s.columns["JAX jit(grad) (Python loop)"] = [
        _attempt(lambda v=v: jax.jit(jax.grad(halve_until_small))(v)) for v in xs]
    s.columns["JAX lax.while_loop, forward (jvp)"] = [
        _attempt(lambda v=v: jax.jvp(_halve_with_lax, (v,), (1.0,))[1]) for v in xs]
    s.columns["JAX lax.while_loop, reverse (grad)"] = [
        _attempt(lambda v=v: jax.grad(_halve_with_lax)(v)) for v in xs]
    s.columns["central FD"] = [_central(lambda t: np.vectorize(halve_until_small)(t), x) for x in xs]
    sym = _attempt(lambda: sp.diff(halve_until_small(sp.Symbol("x", real=True))))
    s.notes.append(f"SymPy cannot run the loop on a symbol: {sym}. It can differentiate the "
                   "piecewise function once a person has written the loop out as "
                   "Piecewise((x, |x| ≤ 5), (x/2, |x| ≤ 10), …) — which is the exact column.")
    jump = xs.index(10.0)
    s.notes.append("f jumps at |x| = 10, 20, 40, … (and 5), where the derivative is undefined. At "
                   f"x = 10 this run got: exact {s.columns['exact (piecewise)'][jump]}, "
                   f"torch {s.columns['torch autograd (eager)'][jump]} (the slope of the branch "
                   f"taken), central FD {_shown(s.columns['central FD'][jump])} (the stencil "
                   "straddles the jump).")
    return s


def _shown(v: float | str) -> str:
    return f"{v:.4g}" if isinstance(v, float) else v


# --- an identity AD cannot see -------------------------------------------------------------------
def identity_study() -> Study:
    """g(x) = x·(sin²x + cos²x) is x, so g' = 1. SymPy simplifies the identity away; AD evaluates
    sin²x + cos²x in floating point and inherits its rounding."""
    xs = [0.3, 1.0, 2.5, 7.0, 100.0]
    x = sp.Symbol("x", real=True)
    exact = sp.diff(x * (sp.sin(x) ** 2 + sp.cos(x) ** 2), x)
    s = Study("∂/∂x [x·(sin²x + cos²x)], which is exactly 1", xs)
    s.columns["SymPy diff, simplified"] = [float(sp.simplify(exact).subs(x, v)) for v in xs]
    s.columns["torch autograd − 1"] = [_attempt(lambda v=v: _torch_grad(
        lambda t: t * (torch.sin(t) ** 2 + torch.cos(t) ** 2), v) - 1) for v in xs]
    s.columns["JAX grad − 1"] = [_attempt(lambda v=v: jax.grad(
        lambda t: t * (jnp.sin(t) ** 2 + jnp.cos(t) ** 2))(v) - 1) for v in xs]
    s.columns["central FD − 1"] = [_central(lambda t: t * (np.sin(t) ** 2 + np.cos(t) ** 2), v) - 1
                                   for v in xs]
    residues = [r for r in s.columns["torch autograd − 1"] if isinstance(r, float)]
    nonzero = sum(r != 0 for r in residues)
    s.notes.append(f"SymPy's derivative is `{exact}` before simplification and "
                   f"`{sp.simplify(exact)}` after: the identity is gone. AD computes "
                   "sin²x + cos²x + x·(2 sin x cos x − 2 cos x sin x) in floating point, so it is 1 "
                   f"only up to rounding: in this run torch's residue is non-zero at {nonzero} of "
                   f"{len(residues)} points, largest {max(map(abs, residues), default=0.0):.1e}.")
    return s


def all_studies() -> list[Study]:
    return [accuracy_study(), loop_study(), identity_study()]
