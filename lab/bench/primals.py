"""The primal each row's ratio is taken against: the same validated program (the exercise's
`Function.program`) run by the row's own library, the way its methods run it — converted from the
numpy points on every call, as the registry's methods convert them, and compiled where the method
compiles (jax.jit, torch.compile, tf.function). Each primal has a name the page shows."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from lab.bench.labels import Label

# registry label → primal name; everything else runs the program on numpy arrays.
COMPILED = {"jax.jit": "jax.jit(program)", "torch.compile": "torch.compile(program)",
            "tensorflow.function": "tf.function(program)"}
EAGER = {"jax": "program on JAX arrays (no jit)", "torch": "program on torch tensors",
         "tensorflow": "program on TensorFlow tensors (eager)"}
NUMPY = "program on numpy arrays"


def primal_name(label: Label) -> str:
    """The name of the primal `label`'s ratio is taken against."""
    if label.origin != "registry":
        return NUMPY
    return COMPILED.get(label.engine) or EAGER.get(label.library, NUMPY)


def primal_call(name: str, kind: str, program: Callable, points: np.ndarray) -> Callable[[], object]:
    """A call running `program` at every point (one call on all points for elementwise
    derivatives, one call per point otherwise) in the library that `name` names."""
    to, wrap = _library(name)
    run = wrap(program)
    if kind == "derivative":
        return lambda: np.asarray(_back(run(to(points))))
    rows = list(points)
    return lambda: [np.asarray(_back(run(to(x)))) for x in rows]


def _library(name: str) -> tuple[Callable, Callable]:
    """(numpy → the library's array, program → what runs it) for the primal `name`."""
    if "jax" in name:
        from lab.backends.jaxconfig import jnp

        return (lambda a: jnp.asarray(a, dtype=jnp.float64),
                _jitted if name == COMPILED["jax.jit"] else (lambda p: p))
    if "torch" in name:
        from lab.backends.torch_ad import tensor

        return tensor, _torch_compiled if name == COMPILED["torch.compile"] else (lambda p: p)
    if "tf." in name or "TensorFlow" in name:
        from lab.backends.tensorflow_ad import constant

        return constant, _tf_function if name == COMPILED["tensorflow.function"] else (lambda p: p)
    return (lambda a: a), (lambda p: p)


@functools.lru_cache(maxsize=64)
def _jitted(program: Callable) -> Callable:
    from lab.backends.jaxconfig import jax

    return jax.jit(program)


@functools.lru_cache(maxsize=64)
def _torch_compiled(program: Callable) -> Callable:
    import torch

    from lab.backends.torch_ad import compiling_first

    return compiling_first(torch.compile(program, fullgraph=True), "the primal")


@functools.lru_cache(maxsize=64)
def _tf_function(program: Callable) -> Callable:
    from lab.backends.tensorflow_ad import tf

    return tf.function(program, reduce_retracing=True)


def _back(value):
    """A library's array as something numpy can read (a torch tensor detached)."""
    detach = getattr(value, "detach", None)
    return detach() if detach is not None else value
