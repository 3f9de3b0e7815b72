"""The benchmark sweeps: what each way of differentiating costs against evaluating the function,
and how that grows with size. Each sweep returns a `SweepResult`; `lab.benchreport` writes it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import jax
import numpy as np
import sympy as sp
import torch
from array_api_compat import array_namespace

from lab.backends import tape
from lab.backends.finite import Adaptive, Stencil, central_offsets
from lab.backends.symbolic import compiled
from lab.bench import Timing, measure
from lab.exercises.base import Function
from lab.exercises.polynomial import COURSE_COEFFICIENTS, X, course_polynomial, horner, power_rule
from lab.exercises.softmax import jacobian_closed_form, softmax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax.experimental import jet  # noqa: E402

# (method, library, fn, args); library names the primal the ratio is taken against.
Job = tuple[str, str, Callable, tuple]


@dataclass
class SweepResult:
    name: str
    title: str
    size_label: str
    timings: list[Timing] = field(default_factory=list)
    primal: dict[str, list[Timing]] = field(default_factory=dict)  # library -> primal timings
    library_of: dict[str, str] = field(default_factory=dict)  # method -> library
    notes: list[str] = field(default_factory=list)

    def ratio(self, t: Timing) -> float | None:
        """derivative time / primal time, same library, same size (medians)."""
        lib = self.library_of.get(t.method)
        base = [p for p in self.primal.get(lib, []) if p.size == t.size]
        return t.median_s / base[0].median_s if base else None


def run(name: str, title: str, size_label: str, sizes, jobs: Callable[[int], Iterator[Job]],
        primals: Callable[[int], Iterator[tuple[str, Callable, tuple]]], advance=lambda: None,
        **measure_options) -> SweepResult:
    result = SweepResult(name, title, size_label)
    for size in sizes:
        for lib, fn, args in primals(size):
            result.primal.setdefault(lib, []).append(measure(f"primal ({lib})", size, fn, *args,
                                                             **measure_options))
        for method, lib, fn, args in jobs(size):
            result.library_of[method] = lib
            result.timings.append(measure(method, size, fn, *args, **measure_options))
        advance()
    return result


# --- 1. polynomial derivatives --------------------------------------------------------------------
def _nested_torch(x: torch.Tensor, order: int) -> torch.Tensor:
    t = x.detach().requires_grad_(True)
    d = course_polynomial(t)
    for _ in range(order):
        (d,) = torch.autograd.grad(d.sum(), t, create_graph=True)
    return d.detach()


def _jax_nested(order: int):
    g = course_polynomial
    for _ in range(order):
        g = jax.grad(g)
    return jax.jit(jax.vmap(g))


def _jax_jet(order: int):
    def taylor(x):
        series = (jnp.ones_like(x),) + tuple(jnp.zeros_like(x) for _ in range(3))
        return jet.jet(course_polynomial, (x,), (series,))[1][order - 1]

    return jax.jit(taylor)


def polynomial_jobs(order: int):
    expr = sp.expand(course_polynomial(X))
    coefficients = list(COURSE_COEFFICIENTS)
    for _ in range(order):
        coefficients = power_rule(coefficients)
    central = Stencil("central", central_offsets, 2)
    adaptive = Adaptive()
    fn = Function("p0", expr, (X,), course_polynomial)
    func = course_polynomial
    for _ in range(order):
        func = torch.func.grad(func)
    func = torch.func.vmap(func)

    def jobs(n: int) -> Iterator[Job]:
        x = np.linspace(-2.0, 3.0, n)
        t, j = torch.from_numpy(x), jnp.asarray(x)
        yield "closed form (Horner, numpy)", "numpy", lambda v: horner(coefficients, v), (x,)
        yield "SymPy lambdify", "numpy", compiled(expr, (X,), "derivative", order), (x,)
        yield "central FD", "numpy", lambda v: central.apply(course_polynomial, v, order, None), (x,)
        if order <= 2 and n <= 10**4:  # SciPy's adaptive differences: many evaluations per point
            yield "adaptive FD (scipy.differentiate)", "numpy", adaptive.derivative, (fn, x, order)
        yield "torch autograd (nested grad)", "torch", _nested_torch, (t, order)
        yield "torch.func vmap(grad^k)", "torch", func, (t,)
        yield "JAX jit(vmap(grad^k))", "jax", _jax_nested(order), (j,)
        if order > 1:
            yield "JAX jet (Taylor mode)", "jax", _jax_jet(order), (j,)

    return jobs


def polynomial_primals(n: int):
    x = np.linspace(-2.0, 3.0, n)
    yield "numpy", course_polynomial, (x,)
    yield "torch", course_polynomial, (torch.from_numpy(x),)
    yield "jax", jax.jit(course_polynomial), (jnp.asarray(x),)


# --- 2. softmax Jacobian --------------------------------------------------------------------------
def _write_floor(n: int):
    out = np.empty((n, n))
    out.fill(1.0)
    return out


def softmax_jobs(n: int) -> Iterator[Job]:
    z = np.random.default_rng(0).normal(0.0, 3.0, n)
    t, j = torch.from_numpy(z), jnp.asarray(z)
    yield "write-floor (fill n×n)", "numpy", _write_floor, (n,)
    yield "closed form diag(p) − ppᵀ", "numpy", jacobian_closed_form, (z,)
    yield "torch.func jacrev", "torch", torch.func.jacrev(softmax), (t,)
    yield "torch.func jacfwd", "torch", torch.func.jacfwd(softmax), (t,)
    yield ("torch.autograd.functional.jacobian", "torch",
           lambda v: torch.autograd.functional.jacobian(softmax, v, vectorize=True), (t,))
    yield "JAX jit(jacrev)", "jax", jax.jit(jax.jacrev(softmax)), (j,)
    yield "JAX jit(jacfwd)", "jax", jax.jit(jax.jacfwd(softmax)), (j,)
    if n <= 256:
        central = Stencil("central", central_offsets, 2)
        yield "central FD", "numpy", lambda v: central.columns(softmax, v), (z,)


def softmax_primals(n: int):
    z = np.random.default_rng(0).normal(0.0, 3.0, n)
    yield "numpy", softmax, (z,)
    yield "torch", softmax, (torch.from_numpy(z),)
    yield "jax", jax.jit(softmax), (jnp.asarray(z),)


# --- 3. loss gradients for a batch ----------------------------------------------------------------
def _log_softmax_rows(z):
    xp = array_namespace(z)
    shifted = z - xp.max(z, axis=-1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))


def batch_ce(z, y):
    """Σ over the batch of −Σᵢ yᵢ log softmax(z)ᵢ."""
    xp = array_namespace(z)
    return -xp.sum(y * _log_softmax_rows(z))


def batch_se(z, y):
    """Σ over the batch of Σᵢ (softmax(z)ᵢ − yᵢ)²."""
    xp = array_namespace(z)
    return xp.sum((xp.exp(_log_softmax_rows(z)) - y) ** 2)


def _closed_ce(z, y):
    return np.exp(_log_softmax_rows(z)) - y


def _closed_se(z, y):
    p = np.exp(_log_softmax_rows(z))
    g = 2 * (p - y)
    return p * (g - np.sum(p * g, axis=-1, keepdims=True))


def _torch_grad(loss):
    def grad(z, y):
        t = z.detach().requires_grad_(True)
        return torch.autograd.grad(loss(t, y), t)[0]

    return grad


def _tape_grad(loss):
    def grad(z, y):
        v = tape.Var(z)
        return tape.backward(loss(v, y), 1.0)[id(v)]

    return grad


def loss_data(shape: tuple[int, int]):
    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 2.0, shape)
    y = np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
    return z, y


def loss_jobs(name: str):
    loss, closed = (batch_ce, _closed_ce) if name == "CE" else (batch_se, _closed_se)

    def jobs(batch: int) -> Iterator[Job]:
        z, y = loss_data((batch, 1000 if batch >= 100 else 10))
        t, ty = torch.from_numpy(z), torch.from_numpy(y)
        j, jy = jnp.asarray(z), jnp.asarray(y)
        yield f"closed form ({'p − y' if name == 'CE' else 'Jᵀ·2(p − y)'}, numpy)", "numpy", closed, (z, y)
        yield "tape (numpy reverse mode)", "numpy", _tape_grad(loss), (z, y)
        yield "tape, forward pass only (recording)", "numpy", lambda a, b: loss(tape.Var(a), b), (z, y)
        yield "torch autograd", "torch", _torch_grad(loss), (t, ty)
        yield "torch.func grad", "torch", torch.func.grad(loss), (t, ty)
        yield "JAX jit(grad)", "jax", jax.jit(jax.grad(loss)), (j, jy)
        if z.size <= 2000:
            central = Stencil("central", central_offsets, 2)
            flat = z.reshape(-1)
            yield ("central FD", "numpy",
                   lambda v: central.columns(lambda w: loss(w.reshape(z.shape), y), v), (flat,))

    return jobs


def loss_primals(name: str):
    loss = batch_ce if name == "CE" else batch_se

    def primals(batch: int):
        z, y = loss_data((batch, 1000 if batch >= 100 else 10))
        yield "numpy", loss, (z, y)
        yield "torch", loss, (torch.from_numpy(z), torch.from_numpy(y))
        yield "jax", jax.jit(loss), (jnp.asarray(z), jnp.asarray(y))

    return primals


# --- 4. symbolic cost ------------------------------------------------------------------------------
def symbolic_jobs(kind: str):
    """SymPy diff + lambdify against expression size: a dense polynomial of degree n, or n nested
    compositions x ↦ x·sin(x + c) (whose derivative swells by the product rule)."""

    def expression(n: int) -> sp.Expr:
        if kind == "polynomial":
            return sum(sp.Rational(i + 1, i + 2) * X**i for i in range(n + 1))
        e = X
        for i in range(n):
            e = e * sp.sin(e + i + 1)
        return e

    def diff_and_lambdify(e):
        sp.core.cache.clear_cache()  # SymPy caches derivatives: time the work, not the cache
        return sp.lambdify(X, sp.diff(e, X), modules="numpy")

    def jobs(n: int) -> Iterator[Job]:
        e = expression(n)
        yield f"SymPy diff + lambdify ({kind})", "sympy", diff_and_lambdify, (e,)

    return jobs, expression
