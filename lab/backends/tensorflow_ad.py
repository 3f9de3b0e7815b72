"""TensorFlow in float64, three ways:

  tape      eager `tf.GradientTape.gradient`, the tape the lecture draws: k-th derivatives by k
            nested tapes, a Jacobian or Hessian row by row from one persistent tape.
  jacobian  eager `tape.jacobian` (all rows in one call, vectorized by TF's pfor) at one point, and
            `tape.batch_jacobian` at every point at once: the points are the batch, each
            point's Jacobian (Hessian: the batch Jacobian of the gradients) one example of it.
            A batch of scalars has a diagonal batch Jacobian, which the gradient of their sum
            gives without pfor: gradients so, and k-th derivatives of an elementwise program
            by nested tapes as in `tape`. Eagerly, pfor traces a graph on every call, which is
            most of this variant's time: one call per case, not per point.
  function  nested tape.gradient, tape.jacobian and the Hessian recipe traced into a graph by
            `tf.function`, once per program: its input signature leaves the number of points
            open, so a new point count does not trace again. The first call includes the
            tracing (reported apart by the benchmarks).

Programs reach TensorFlow through `lab.core.arrays.namespace`, which gives them
`tf.experimental.numpy` for TF tensors.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable

import numpy as np

from lab.backends.base import Method
from lab.core.cases import Function
from lab.output.quiet import native_stderr_silenced


def _import_tensorflow():
    # Level 3 keeps TF's C++ notices off the terminal, including oneDNN's error-level "supports
    # DT_INT32 only on platforms with AVX-512, falling back" (level 2 lets that one through);
    # failures still reach us as Python exceptions. No level reaches the oneDNN notice written to
    # descriptor 2 while TF loads, before its logging is configured.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # TF's default CPU allocator keeps no statistics (get_memory_info reports 0 for the CPU); its
    # BFC allocator does, so the benchmarks can count what one call allocates. Timings measured
    # both ways on this machine did not differ beyond their noise.
    os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")
    # TF ≥ 2.20 loads its statically linked LLVM into the global symbol table, and triton (which
    # torch imports lazily, e.g. on the first torch.func.grad or torch.compile) crashes the process
    # when it loads its own LLVM after that (tensorflow/tensorflow#124205); loaded first, it does not.
    if "tensorflow" not in sys.modules:  # too late otherwise
        with contextlib.suppress(ImportError):
            import triton  # noqa: F401
    with native_stderr_silenced():
        import tensorflow

    # pfor's "calls triggered tf.function retracing" warnings are about TF's internals, not ours.
    tensorflow.get_logger().setLevel("ERROR")
    return tensorflow


tf = _import_tensorflow()
ZERO = tf.UnconnectedGradients.ZERO  # a derivative that does not depend on x is 0, not None


def constant(x: np.ndarray):
    """A float64 TF tensor holding x."""
    return tf.constant(np.asarray(x, dtype=np.float64), dtype=tf.float64)


def to_numpy(t) -> np.ndarray:
    """A float64 numpy copy of a TF tensor."""
    return np.asarray(t, dtype=np.float64)


# --- tape: GradientTape.gradient ------------------------------------------------------------------
def nested_gradient(program: Callable, x, order: int):
    """dᵏ program/dxᵏ by k nested tapes: each tape records the one inside it computing its
    gradient. With several outputs the tape differentiates their sum, which for a program acting
    elementwise is every point's derivative at once."""
    if order == 0:
        return program(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = nested_gradient(program, x, order - 1)
    return tape.gradient(y, x, unconnected_gradients=ZERO)


def rows_of(outputs: Callable, x):
    """The Jacobian of the vector `outputs(x)` row by row: one `gradient` call per output, all from
    one tape, which therefore has to be persistent."""
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = outputs(x)
        entries = [y[i] for i in range(int(y.shape[0]))]  # the slicing is recorded too
    rows = [tape.gradient(e, x, unconnected_gradients=ZERO) for e in entries]
    del tape  # a persistent tape holds its recording until dropped
    return tf.stack(rows)


class Tape(Method):
    """Eager GradientTape.gradient calls, one point at a time for gradients, Jacobians, Hessians."""

    backend, variant = "tensorflow", "tape"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        return to_numpy(nested_gradient(f.program, constant(x), order))

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(nested_gradient(f.program, constant(x), 1))

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(rows_of(f.program, constant(x)))

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(rows_of(lambda t: nested_gradient(f.program, t, 1), constant(x)))


# --- jacobian: whole Jacobians per call -----------------------------------------------------------
def jacobian_of(program: Callable, x):
    """tape.jacobian: every row of the Jacobian in one call (TF's pfor vectorizes over the rows);
    for a scalar program, the gradient."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = program(x)
    return tape.jacobian(y, x, unconnected_gradients=ZERO)


def hessian_of(program: Callable, x):
    """TF's Hessian recipe: the jacobian, taken by an outer tape, of the gradient an inner tape gives."""
    with tf.GradientTape() as outer:
        outer.watch(x)
        g = nested_gradient(program, x, 1)
    return outer.jacobian(g, x, unconnected_gradients=ZERO)


def per_point(program: Callable, points):
    """program at each row of `points` (m, n), stacked (m, …): the batch whose example i depends on
    row i alone, as batch_jacobian requires. The program sees one point at a time, as written."""
    return tf.stack([program(points[i]) for i in range(int(points.shape[0]))])


def batch_gradient_of(program: Callable, points):
    """The gradient of a scalar `program` at each row of `points`, stacked (m, n): the gradient of
    the sum of the per-point values, row i of which depends on point i alone. It is the batch
    Jacobian of m scalars, without the pfor conversion batch_jacobian would trace for one row."""
    with tf.GradientTape() as tape:
        tape.watch(points)
        total = tf.reduce_sum(per_point(program, points))
    return tape.gradient(total, points, unconnected_gradients=ZERO)


def batch_jacobian_of(program: Callable, points):
    """The Jacobian of a vector `program` at each row of `points`, stacked (m, k, n), from one
    batch_jacobian call."""
    with tf.GradientTape() as tape:
        tape.watch(points)
        y = per_point(program, points)
    return tape.batch_jacobian(y, points, unconnected_gradients=ZERO)


def batch_hessian_of(program: Callable, points):
    """The Hessian of a scalar `program` at each row of `points`, stacked (m, n, n): batch_jacobian
    of the gradients, which one inner tape gives at every point at once (the gradient of the sum
    of the per-point values, each depending on its own point only)."""
    with tf.GradientTape() as outer:
        outer.watch(points)
        g = batch_gradient_of(program, points)
    return outer.batch_jacobian(g, points, unconnected_gradients=ZERO)


class Jacobian(Method):
    """Eager tape.jacobian (gradients and Jacobians) and its Hessian recipe at one point,
    batch_jacobian at every point at once, and the diagonal batch Jacobians (k-th derivatives,
    gradients at every point) as gradients of sums."""

    backend, variant = "tensorflow", "jacobian"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        return to_numpy(nested_gradient(f.program, constant(x), order))

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(jacobian_of(f.program, constant(x)))

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(jacobian_of(f.program, constant(x)))

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(hessian_of(f.program, constant(x)))

    def at_points(self, kind: str, f: Function, points: np.ndarray) -> np.ndarray:
        batched = {"gradient": batch_gradient_of, "jacobian": batch_jacobian_of,
                   "hessian": batch_hessian_of}[kind]
        return to_numpy(batched(f.program, constant(points)))


# --- function: traced once by tf.function ---------------------------------------------------------
@functools.lru_cache(maxsize=512)
def traced(program: Callable, kind: str, order: int, shape: tuple) -> Callable:
    """The tf.function computing `kind` of `program` on float64 inputs of `shape`: the k-th
    derivative at every point of a vector of any length (nested tape.gradient), or the gradient
    (tape.gradient), Jacobian (tape.jacobian) or Hessian at one point of n coordinates. The
    input signature fixes what is traced, so it is traced once per program, kind and shape."""
    compute = {"derivative": lambda x: nested_gradient(program, x, order),
               "gradient": lambda x: nested_gradient(program, x, 1),
               "jacobian": lambda x: jacobian_of(program, x),
               "hessian": lambda x: hessian_of(program, x)}[kind]
    return tf.function(compute, input_signature=[tf.TensorSpec(shape, tf.float64)])


def traces(program: Callable, kind: str, order: int, shape: tuple) -> int:
    """How many times `traced(program, kind, order, shape)` has been traced so far."""
    return traced(program, kind, order, shape).experimental_get_tracing_count()


class Traced(Method):
    """The graph tf.function traces: derivatives at all points in one call, the rest per point."""

    backend, variant, compiles = "tensorflow", "function", True

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        return to_numpy(traced(f.program, "derivative", order, (None,))(constant(x)))

    def _at(self, kind: str, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(traced(f.program, kind, 1, (len(x),))(constant(x)))

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self._at("gradient", f, x)

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self._at("jacobian", f, x)

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return self._at("hessian", f, x)


METHODS = (Tape(), Jacobian(), Traced())
