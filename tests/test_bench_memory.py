"""Peak memory is counted by each library's own allocator accounting, checked against arrays of known
size: 10⁶ float64 values are 7.63 MiB."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from lab.backends import jaxconfig  # noqa: F401  (float64 JAX)
from lab.bench.harness import MEMORY_SOURCES, library_of, measure, peak_memory

N = 10**6
MIB = N * 8 / 2**20  # 7.63


def _inputs(library: str):
    x = np.linspace(-1.0, 1.0, N)
    return {"numpy": x, "torch": torch.from_numpy(x), "jax": jnp.asarray(x)}[library]


@pytest.mark.parametrize("library, source", [("numpy", "tracemalloc"),
                                             ("torch", "torch profiler"), ("jax", "XLA plan")])
def test_one_new_array_is_counted_at_its_size(library, source):
    fn = jax.jit(lambda v: v * 2.0) if library == "jax" else (lambda v: v * 2.0)
    t = measure("double", N, fn, _inputs(library), min_repeats=1, min_time=0.0, library=library)
    assert t.memory_source == source and source in MEMORY_SOURCES
    assert 0.5 * MIB <= t.peak_bytes / 2**20 <= 4 * MIB, t


@pytest.mark.parametrize("library", ["numpy", "torch", "jax"])
def test_the_library_is_guessed_from_the_arguments(library):
    assert library_of((_inputs(library), 3)) == library
    peak, _ = peak_memory(lambda v: v + 1.0, (_inputs(library),))
    assert 0.5 * MIB <= peak / 2**20 <= 4 * MIB


def test_torch_counts_temporaries_freed_before_the_call_returns():
    # exp(v) lives only until the sum is taken: a net count after the call would miss it.
    peak, source = peak_memory(lambda v: (torch.exp(v) + 1.0).sum(), (_inputs("torch"),))
    assert source == "torch profiler" and peak / 2**20 >= 1.5 * MIB


def test_jax_functions_not_yet_jitted_are_counted_as_jit_would_run_them():
    peak, source = peak_memory(lambda v: jnp.stack([v, v]), (_inputs("jax"),))
    assert source == "XLA plan" and 1.5 * MIB <= peak / 2**20 <= 8 * MIB


def test_arguments_that_exist_before_the_call_are_not_counted():
    x = _inputs("numpy")
    peak, _ = peak_memory(lambda v: float(v[0]), (x,))
    assert peak < 0.1 * MIB * 2**20


@pytest.mark.gpu
def test_cuda_allocations_are_counted_by_the_caching_allocator():
    x = _inputs("torch").cuda()
    peak, source = peak_memory(lambda v: v * 2.0, (x,))
    assert source == "CUDA allocator" and 0.5 * MIB <= peak / 2**20 <= 4 * MIB
