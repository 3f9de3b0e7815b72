"""gradbench's evals `lse` and `llsq` (github.com/gradbench/gradbench, `evals/lse`, `evals/llsq`) as
exercises, and its `hello` eval's `square`, each defined once: the lab's cross-check runs them, and
`lab gradbench` serves and re-checks them in gradbench's protocol.

lse(x) = log Σᵢ exp(xᵢ), computed as gradbench asks, a + log Σᵢ exp(xᵢ − a) with a = max x, so that
no exp overflows. It is the course's softmax in another dress:
  ∂lse/∂xₖ = exp(xₖ) / Σᵢ exp(xᵢ) = exp(xₖ − lse(x)) = softmax(x)ₖ,
  ∂²lse/∂xₖ∂xₗ = ∂softmax(x)ₖ/∂xₗ = pₖ(δₖₗ − pₗ), i.e. ∇²lse = diag(p) − p pᵀ,
and cross entropy is CE(y; softmax(z)) = lse(z) − ⟨y, z⟩ when Σy = 1.

llsq(x; n) = ½ Σᵢ (sᵢ − Σⱼ xⱼ tᵢʲ)² with tᵢ = −1 + 2i/(n − 1), sᵢ = sign(tᵢ), i < n, j < m = len(x):
the least-squares fit of a polynomial of degree m − 1 to a step, the course's SE loss of a linear
model. With the Vandermonde matrix Vᵢⱼ = tᵢʲ and the residual r = s − Vx, llsq = ½‖r‖², so
  ∇llsq = −Vᵀr = Vᵀ(Vx − s),   ∇²llsq = VᵀV (constant: the loss is quadratic in x).

square(x) = x² is `hello`'s; its gradient 2x is `hello`'s `double`.

A gradbench input can hold 10⁶ numbers. Differentiating the program then needs no symbols, while
the SymPy form would take seconds and gigabytes to build, so these functions build their SymPy form
only when a symbolic backend or the exact reference first asks for it (`Deferred`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import numpy as np
import sympy as sp

from lab.core.arrays import namespace as array_namespace
from lab.core.cases import Case, ClosedForm, Function, symbols
from lab.core.symbolic import LogSumExp
from lab.exercises.softmax import jacobian_closed_form, softmax_numpy

SOURCE = "gradbench evals lse and llsq (github.com/gradbench/gradbench)"


class Deferred(Function):
    """A `Function` whose SymPy form (expression and variables) is built by `build()` on first use.

    Everything else about it is an ordinary `Function`; `repr` does not build the form."""

    def __init__(self, name: str, build: Callable[[], tuple[sp.Basic, tuple[sp.Symbol, ...]]],
                 program: Callable, real_only: str = ""):
        # Function is a frozen dataclass: its fields are set the way its own __init__ sets them,
        # every field but the two built later, with its default where none is given here.
        given = {"name": name, "program": program, "real_only": real_only}
        for field in dataclasses.fields(Function):
            if field.name in given:
                object.__setattr__(self, field.name, given[field.name])
            elif field.name not in ("expr", "variables"):
                object.__setattr__(self, field.name, field.default
                                   if field.default is not dataclasses.MISSING
                                   else field.default_factory())
        object.__setattr__(self, "_build", build)

    @functools.cached_property
    def _form(self) -> tuple[sp.Basic, tuple[sp.Symbol, ...]]:
        return self._build()

    expr = property(lambda self: self._form[0])
    variables = property(lambda self: self._form[1])

    def __repr__(self) -> str:
        return f"Deferred({self.name!r})"


# --- lse -------------------------------------------------------------------------------------

def lse(x):
    """log Σᵢ exp(xᵢ) as a + log Σᵢ exp(xᵢ − a), a = max x."""
    xp = array_namespace(x)
    a = xp.max(x)
    return a + xp.log(xp.sum(xp.exp(x - a)))


@functools.lru_cache(maxsize=16)
def lse_function(n: int, label: str = "") -> Function:
    """lse of n inputs (one object per n and label, so compiled derivatives are reused)."""

    def build():
        x = symbols("x", n)
        return LogSumExp(*x), x

    return Deferred(f"lse n={n}{label}", build, lse)


def lse_gradient(x: np.ndarray) -> np.ndarray:
    """softmax(x)."""
    return softmax_numpy(x)


# --- llsq ------------------------------------------------------------------------------------

def sample_points(n: int) -> np.ndarray:
    """tᵢ = −1 + i·2/(n − 1) in float64, evaluated in gradbench's order of operations."""
    return -1.0 + (np.arange(n, dtype=np.float64) * 2.0) / (n - 1)


def exact_sample_points(n: int) -> list[sp.Rational]:
    """tᵢ = −1 + 2i/(n − 1) as exact rationals."""
    return [sp.Rational(2 * i, n - 1) - 1 for i in range(n)]


@functools.lru_cache(maxsize=16)
def llsq_program(n: int) -> Callable:
    """The program of llsq(·; n), for x of any length m (one object per n)."""
    t = sample_points(n)
    s = np.sign(t)

    def llsq(x):
        """½ Σᵢ (sᵢ − Σⱼ xⱼ tᵢʲ)², the polynomial by Horner's rule."""
        xp = array_namespace(x)
        tt, ss = xp.asarray(t), xp.asarray(s)
        # Horner: one multiply-add per coefficient, with no power tᵢʲ formed, and only ops every
        # backend's namespace has (indexing, *, +; no matmul).
        fit = x[x.shape[0] - 1]
        for j in range(x.shape[0] - 2, -1, -1):
            fit = fit * tt + x[j]
        r = ss - fit
        return xp.sum(r * r) / 2

    return llsq


@functools.lru_cache(maxsize=16)
def llsq_function(n: int, m: int) -> Function:
    """llsq of m coefficients on n sample points."""

    def build():
        x = symbols("x", m)
        residuals = [sp.sign(t) - sp.Add(*[xj * t**j for j, xj in enumerate(x)])
                     for t in exact_sample_points(n)]
        return sp.Rational(1, 2) * sp.Add(*[r**2 for r in residuals]), x

    return Deferred(f"llsq n={n} m={m}", build, llsq_program(n))


def vandermonde(n: int, m: int) -> np.ndarray:
    """Vᵢⱼ = tᵢʲ, shape (n, m)."""
    return np.vander(sample_points(n), m, increasing=True)


def llsq_gradient(x: np.ndarray, n: int) -> np.ndarray:
    """Vᵀ(Vx − s)."""
    v = vandermonde(n, len(x))
    return v.T @ (v @ x - np.sign(sample_points(n)))


def llsq_hessian(x: np.ndarray, n: int) -> np.ndarray:
    """VᵀV."""
    v = vandermonde(n, len(x))
    return v.T @ v


# --- hello -----------------------------------------------------------------------------------

def square(x):
    """Σ xᵢ² — x² for hello's one number, passed as a vector of length 1."""
    return array_namespace(x).sum(x * x)


@functools.cache
def square_function() -> Function:
    """hello's square, of one input."""
    x = symbols("x", 1)
    return Function("square", x[0] ** 2, x, square)


# --- the exercise ----------------------------------------------------------------------------

def cases(seed: int = 0) -> list[Case]:
    """lse's gradient on gradbench's inputs (uniform in [0, 1)) and on large logits; llsq's gradient
    and Hessian at small n and m."""
    rng = np.random.default_rng(seed)
    n, (big_n, big_m), (small_n, small_m) = 8, (16, 6), (10, 4)
    lse_points = np.vstack([rng.random((3, n)), rng.uniform(-100.0, 100.0, (2, n))])
    return [
        Case("gradbench", lse_function(n), "gradient", lse_points,
             closed_forms=(ClosedForm("softmax(x)", lse_gradient),), source=SOURCE),
        Case("gradbench", lse_function(n, " hessian"), "hessian", lse_points[:2],
             closed_forms=(ClosedForm("diag(p) - p p^T", jacobian_closed_form, order=2),),
             source=SOURCE),
        Case("gradbench", llsq_function(big_n, big_m), "gradient", rng.random((3, big_m)),
             closed_forms=(ClosedForm("V^T (V x - s)", lambda x: llsq_gradient(x, big_n)),),
             source=SOURCE),
        Case("gradbench", llsq_function(small_n, small_m), "hessian", rng.random((2, small_m)),
             closed_forms=(ClosedForm("V^T V", lambda x: llsq_hessian(x, small_n), order=2),),
             source=SOURCE),
    ]
