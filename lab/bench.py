"""The timing harness every benchmark uses.

measure(fn) calls fn once apart (its time, minus the steady state, is the compile/trace cost: JAX
jit, torch.func tracing, lazy imports), warms up, then repeats until both a minimum count and a
minimum total time are reached, synchronizing after every call (JAX `block_until_ready`, CUDA
`synchronize`), and reports min, median and interquartile range — never a single run. Inputs are
passed as arguments so no compiler can fold them into constants. Peak memory is measured with
tracemalloc (numpy and everything else that allocates through Python's allocator registers there).
"""

from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class Timing:
    method: str
    size: int
    first_call_s: float
    compile_s: float
    min_s: float
    median_s: float
    iqr_s: float
    repeats: int
    peak_bytes: int | None = None

    def as_json(self) -> dict:
        return asdict(self)


def sync(result) -> None:
    """Wait until `result` is computed (JAX dispatches asynchronously; so does CUDA)."""
    if hasattr(result, "block_until_ready"):
        result.block_until_ready()
    elif isinstance(result, tuple | list):
        for r in result:
            sync(r)
    else:
        try:
            import torch

            if isinstance(result, torch.Tensor) and result.is_cuda:
                torch.cuda.synchronize()
        except ImportError:
            pass


def measure(method: str, size: int, fn: Callable, *args, min_repeats: int = 5,
            min_time: float = 0.2, max_time: float = 5.0, warmup: int = 1,
            memory: bool = True) -> Timing:
    """Time fn(*args) as described in the module docstring."""
    t0 = time.perf_counter()
    sync(fn(*args))
    first = time.perf_counter() - t0
    for _ in range(warmup):
        sync(fn(*args))
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_repeats or sum(times) < min_time:
        t0 = time.perf_counter()
        sync(fn(*args))
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > max_time and len(times) >= 3:
            break
    peak = _peak_memory(fn, args) if memory else None
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return Timing(method, size, first, max(0.0, first - float(median)), min(times), float(median),
                  float(q3 - q1), len(times), peak)


def _peak_memory(fn: Callable, args) -> int:
    tracemalloc.start()
    try:
        sync(fn(*args))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def threads() -> dict[str, object]:
    """The thread settings in force, as each library reports them."""
    import torch

    return {"cpu_count": os.cpu_count(), "torch_intra_op_threads": torch.get_num_threads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "unset (library default)"),
            "XLA_FLAGS": os.environ.get("XLA_FLAGS", "unset (XLA uses all cores)")}


def spread(t: Timing) -> str:
    """'1.23 ms ± 0.05' — median and half the interquartile range."""
    return f"{_fmt(t.median_s)} ± {_fmt(t.iqr_s / 2)}"


def _fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


__all__ = ["Timing", "measure", "spread", "sync", "threads"]
