"""Forward against reverse mode, measured: the full Jacobian of f: Rⁿ → Rᵐ with n·m fixed, from wide
(m = 1, a loss) to tall (n = 1), plus one JVP, one VJP and one Hessian-vector product per shape.

f(x) = tanh(W x + b) with a seeded W ∈ R^(m×n), one dense layer, written once against the array
API so that numpy, torch, JAX, TensorFlow (through `tf.experimental.numpy`), the lab's tape and its
Taylor forward mode run the same program. Each sweep of forward mode pushes one input direction
through f and each sweep of reverse mode pulls one output direction back, both at O(n·m) work: the
textbook cost of the Jacobian is n forward sweeps or m reverse ones. What the page says about
the timings and its figure are in `lab.bench.modes_page`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lab.backends import tape, taylor
from lab.backends.finite import Stencil, central_offsets
from lab.backends.jaxconfig import jax, jnp
from lab.bench.modes_page import ROLES, draw, notes
from lab.bench.sweeps import Job, Sweep
from lab.core.arrays import namespace
from lab.output.quiet import native_stderr_silenced

# Time only (the page says so): TensorFlow allocates outside every counter the harness reads, so
# its peak memory would read as zero beside the others'.
OPTIONS = dict(min_repeats=5, min_time=0.1, max_time=2.0, memory=False)


def layer(x, W, b):
    """tanh(W x + b). The product is written as a broadcast multiply and a row sum, W·x = Σⱼ Wᵢⱼxⱼ,
    which every engine here implements (the tape and the jets have no matmul)."""
    xp = namespace(x)
    return xp.tanh(xp.sum(W * x, axis=-1) + b)


def loss(x, W, b):
    """½‖tanh(W x + b)‖²: the scalar function whose Hessian-vector products are timed."""
    y = layer(x, W, b)
    return 0.5 * namespace(y).sum(y * y)


@dataclass(frozen=True)
class Problem:
    """The seeded data at one shape: the point x, the layer (W, b), a tangent v ∈ Rⁿ, a cotangent
    u ∈ Rᵐ."""

    x: np.ndarray
    W: np.ndarray
    b: np.ndarray
    v: np.ndarray
    u: np.ndarray


def problem(m: int, total: int) -> Problem:
    """The data for m outputs and n = total/m inputs (W scaled so that W x is of order 1)."""
    rng = np.random.default_rng(0)
    n = total // m
    return Problem(rng.normal(0.0, 1.0, n), rng.normal(0.0, n**-0.5, (m, n)),
                   rng.normal(0.0, 0.1, m), rng.normal(0.0, 1.0, n), rng.normal(0.0, 1.0, m))


def closed_jacobian(x, W, b) -> np.ndarray:
    """(1 − y²)·W, y = tanh(W x + b): the Jacobian by hand."""
    return (1 - np.tanh(W @ x + b) ** 2)[:, None] * W


def closed_forms(p: Problem) -> dict[str, np.ndarray]:
    """The exact Jacobian, JVP J·v, VJP uᵀJ, and HVP of ½‖y‖², whose Hessian is
    Wᵀ diag((1 − y²)(1 − 3y²)) W."""
    y = np.tanh(p.W @ p.x + p.b)
    d = 1 - y**2
    return {"jacobian": closed_jacobian(p.x, p.W, p.b), "jvp": d * (p.W @ p.v),
            "vjp": p.W.T @ (d * p.u), "hvp": p.W.T @ (d * (1 - 3 * y**2) * (p.W @ p.v))}


# --- the lab's own two directions ----------------------------------------------------------------
def tape_jacobian(x, W, b):
    """Record f once on the tape, then one backward sweep per output row."""
    v = tape.Var(x)
    out = layer(v, W, b)
    return np.stack([tape.backward(out, seed)[id(v)] for seed in np.eye(out.shape[0])])


def taylor_jacobian(x, W, b):
    """One forward sweep of first-order jets per input column."""
    return np.stack([taylor.directional(lambda y: layer(y, W, b), x, e, 1)
                     for e in np.eye(len(x))], axis=-1)


def tape_vjp(x, W, b, u):
    """uᵀJ: record f, one backward sweep seeded with u."""
    v = tape.Var(x)
    return tape.backward(layer(v, W, b), u)[id(v)]


def tape_hvp(x, W, b, direction):
    """H·v reverse-over-reverse: the gradient recorded on the tape, then ∂(∇g·v)/∂x."""
    v = tape.Var(x)
    g = tape.backward(tape.lift(loss(v, W, b)), 1.0, create_graph=True)[id(v)]
    return tape.backward(tape.lift(tape.total(g * direction)), 1.0)[id(v)]


# --- torch and JAX ----------------------------------------------------------------------------------
# W and b are arguments of every timed call, never constants a compiler could fold.
def _torch_jobs(p: Problem) -> Iterator[Job]:
    x, W, b, v, u = (torch.from_numpy(a) for a in (p.x, p.W, p.b, p.v, p.u))
    grad = torch.func.grad(loss)
    yield "torch.func jacfwd (vmap)", "torch", torch.func.jacfwd(layer), (x, W, b)
    yield "torch.func jacrev (vmap)", "torch", torch.func.jacrev(layer), (x, W, b)
    yield "torch.func jacfwd (vmap), 1 thread", "torch", _one_thread(torch.func.jacfwd(layer)), (x, W, b)
    yield "torch.func jacrev (vmap), 1 thread", "torch", _one_thread(torch.func.jacrev(layer)), (x, W, b)
    yield ("torch.autograd jacobian, row by row", "torch", lambda x, W, b: torch.autograd
           .functional.jacobian(lambda y: layer(y, W, b), x, vectorize=False), (x, W, b))
    yield ("torch.func jvp", "torch",
           lambda x, W, b, v: torch.func.jvp(lambda y: layer(y, W, b), (x,), (v,))[1], (x, W, b, v))
    yield ("torch.func vjp", "torch",
           lambda x, W, b, u: torch.func.vjp(lambda y: layer(y, W, b), x)[1](u)[0], (x, W, b, u))
    yield ("torch.func HVP, forward-over-reverse", "torch",
           lambda x, W, b, v: torch.func.jvp(lambda y: grad(y, W, b), (x,), (v,))[1], (x, W, b, v))
    yield ("torch.func HVP, reverse-over-reverse", "torch",
           lambda x, W, b, v: torch.func.vjp(lambda y: grad(y, W, b), x)[1](v)[0], (x, W, b, v))


def _one_thread(fn: Callable) -> Callable:
    """fn run with torch's intra-op pool at one thread: on a small problem (or a busy machine) the
    pool's hand-offs can cost more than the arithmetic they share out."""

    def call(*args):
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fn(*args)
        finally:
            torch.set_num_threads(before)

    return call


@functools.lru_cache(maxsize=1)
def _jax_functions() -> dict[str, Callable]:
    grad = jax.grad(loss)
    return {
        "JAX jit(jacfwd)": jax.jit(jax.jacfwd(layer)),
        "JAX jit(jacrev)": jax.jit(jax.jacrev(layer)),
        "JAX jit(jvp)": jax.jit(lambda x, W, b, v: jax.jvp(lambda y: layer(y, W, b), (x,), (v,))[1]),
        "JAX jit(vjp)": jax.jit(lambda x, W, b, u: jax.vjp(lambda y: layer(y, W, b), x)[1](u)[0]),
        "JAX jit HVP, forward-over-reverse": jax.jit(
            lambda x, W, b, v: jax.jvp(lambda y: grad(y, W, b), (x,), (v,))[1]),
        "JAX jit HVP, reverse-over-reverse": jax.jit(
            lambda x, W, b, v: jax.grad(lambda y: jnp.vdot(grad(y, W, b), v))(x)),
    }


def _jax_jobs(p: Problem) -> Iterator[Job]:
    x, W, b, v, u = (jnp.asarray(a) for a in (p.x, p.W, p.b, p.v, p.u))
    for method, fn in _jax_functions().items():
        kind = ROLES[method].kind
        yield method, "jax", fn, (x, W, b) if kind == "jacobian" else (x, W, b, u if kind == "vjp" else v)


# --- TensorFlow -------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def tensorflow() -> tuple[object, str]:
    """(the tensorflow module, '') or (None, why it cannot be imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # torch.func loads torch._dynamo, and with it triton, on first use; triton's native library
    # loaded after TensorFlow's crashes the process (segmentation fault), loaded before it does not.
    import torch._dynamo  # noqa: F401
    try:
        # Its C++ side prints a banner on file descriptor 2 at import whatever the log level.
        with native_stderr_silenced():
            import tensorflow as tf
    except Exception as e:  # noqa: BLE001 — any failure to import only drops its rows
        return None, f"{type(e).__name__}: {e}".splitlines()[0]
    tf.get_logger().setLevel("ERROR")  # a new shape per size retraces; that is expected here
    return tf, ""


def _tf_jobs(p: Problem) -> Iterator[Job]:
    tf, _ = tensorflow()
    if tf is None:
        return
    x, W, b = (tf.constant(a) for a in (p.x, p.W, p.b))
    eye = tf.eye(len(p.x), dtype=tf.float64)

    def reverse(loop: bool):
        @tf.function
        def jacobian(x, W, b):
            with tf.GradientTape(persistent=loop) as t:  # the loop re-reads the tape per row
                t.watch(x)
                y = layer(x, W, b)
            return t.jacobian(y, x, experimental_use_pfor=not loop)

        return lambda *a: jacobian(*a).numpy()

    def forward(loop: bool):
        @tf.function
        def jacobian(x, W, b):
            def column(tangent):
                with tf.autodiff.ForwardAccumulator(x, tangent) as acc:
                    y = layer(x, W, b)
                return acc.jvp(y)

            return tf.transpose((tf.map_fn if loop else tf.vectorized_map)(column, eye))

        return lambda *a: jacobian(*a).numpy()

    yield "TensorFlow ForwardAccumulator, pfor", "tensorflow", forward(False), (x, W, b)
    yield "TensorFlow GradientTape.jacobian, pfor", "tensorflow", reverse(False), (x, W, b)
    yield "TensorFlow ForwardAccumulator, column by column", "tensorflow", forward(True), (x, W, b)
    yield "TensorFlow GradientTape.jacobian, row by row", "tensorflow", reverse(True), (x, W, b)


# --- the sweep ---------------------------------------------------------------------------------------
def jobs_of(total: int) -> Callable[[int], Iterator[Job]]:
    """Every job at m outputs and total/m inputs."""
    central = Stencil("central", central_offsets, 2)

    def jobs(m: int) -> Iterator[Job]:
        p = problem(m, total)
        a, av, au = (p.x, p.W, p.b), (p.x, p.W, p.b, p.v), (p.x, p.W, p.b, p.u)
        yield "closed form (1 − y²)·W", "numpy", closed_jacobian, a
        yield "tape reverse mode (lab), row by row", "numpy", tape_jacobian, a
        yield "Taylor forward mode (lab), column by column", "numpy", taylor_jacobian, a
        yield ("central FD, column by column", "numpy",
               lambda x, W, b: central.columns(lambda y: layer(y, W, b), x), a)
        yield "Taylor JVP (lab)", "numpy", lambda x, W, b, v: taylor.directional(
            lambda y: layer(y, W, b), x, v, 1), av
        yield "tape VJP (lab)", "numpy", tape_vjp, au
        yield "tape HVP, reverse-over-reverse (lab)", "numpy", tape_hvp, av
        yield from _torch_jobs(p)
        yield from _jax_jobs(p)
        yield from _tf_jobs(p)

    return jobs


def primals_of(total: int) -> Callable[[int], Iterator[tuple[str, Callable, tuple]]]:
    """f itself in each library."""

    def primals(m: int):
        p = problem(m, total)
        yield "numpy", layer, (p.x, p.W, p.b)
        yield "torch", layer, tuple(torch.from_numpy(a) for a in (p.x, p.W, p.b))
        yield "jax", jax.jit(layer), tuple(jnp.asarray(a) for a in (p.x, p.W, p.b))
        tf, _ = tensorflow()
        if tf is not None:
            g = tf.function(layer)
            yield "tensorflow", lambda *a: g(*a).numpy(), tuple(tf.constant(a) for a in
                                                               (p.x, p.W, p.b))

    return primals


def family(name: str, plan: dict) -> list[tuple[Sweep, list[int]]]:
    """The one sweep of `lab bench --sweep modes`: sizes are m, with n = plan['total'] / m."""
    total, outputs = int(plan["total"]), [int(m) for m in plan["outputs"]]
    if any(m < 1 or total % m for m in outputs):
        raise ValueError(f"every output count must divide n·m = {total}: {outputs}")
    return [(Sweep("modes", name, f"Forward against reverse mode: Jacobian of tanh(Wx + b), "
                   f"Rⁿ → Rᵐ with n·m = {total}", f"m (outputs; n = {total}/m inputs)",
                   jobs_of(total), primals_of(total), options=dict(OPTIONS),
                   describe=lambda sizes: [shapes(sizes, total)],
                   finish=lambda r: r.notes.extend(notes(r, total)),
                   figure=lambda r, out: draw(r, out, total)),
             outputs)]


def shapes(sizes: Sequence[int], total: int) -> str:
    """The measured shapes and what ran them."""
    tf, why = tensorflow()
    engines = (f"TensorFlow {tf.__version__} (tf.function graphs)" if tf is not None
               else f"TensorFlow rows skipped: it could not be imported ({why})")
    return ("Shapes m × n: " + ", ".join(f"{m} × {total // m}" for m in sizes)
            + f". JAX functions are jitted; {engines}. Peak memory is not measured in this sweep: "
            "TensorFlow allocates outside every counter the harness reads.")


