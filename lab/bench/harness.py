"""The timing harness every benchmark uses.

`measure(fn)` calls fn once apart (its time, minus the steady state, is the compile/trace cost: JAX
jit, torch.func tracing, lazy imports), warms up, then repeats until both a minimum count and a
minimum total time are reached, synchronizing after every call (JAX `block_until_ready`, CUDA
`synchronize`), and reports min, median and interquartile range — never a single run. Inputs are
passed as arguments so no compiler can fold them into constants.

Peak memory is what one call allocates, counted by the allocator that does the allocating
(`peak_memory`): tracemalloc for numpy (numpy registers its buffers there), the profiler's
allocation trace for torch on the CPU (torch's allocator bypasses tracemalloc), the CUDA caching
allocator's peak on a GPU, XLA's compiled plan (temporaries + outputs) for JAX, and the rise of the
process's resident high-water mark when none of these applies. TensorFlow counts its own CPU
allocations only with its BFC allocator (`lab.backends.tensorflow_ad` turns it on); without it,
`tf.config.experimental.get_memory_info` reports 0 and the resident size is used. A compiler's rows
("torch.compile", "tf.function") are counted by its library's allocator. Each value carries its
source.

`compare(a, b, threshold)` decides a target "a takes at most threshold × b's time" from side-by-side
runs (`decide` is the pure decision on the ratios).
"""

from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np

from lab.output.quiet import native_stderr_silenced

# The library whose allocator counts a compiler's rows.
ALLOCATOR_OF = {"torch.compile": "torch", "tf.function": "tensorflow"}
# What each memory source measures, for column headers and footnotes.
MEMORY_SOURCES = {
    "tracemalloc": "tracemalloc peak during one call (numpy registers its buffers there)",
    "torch profiler": "torch.profiler allocation trace: peak of the running total during one call",
    "CUDA allocator": "torch.cuda.max_memory_allocated rise during one call",
    "XLA plan": "XLA's compiled memory analysis: temporaries + outputs of the jitted call",
    "TF allocator": "TensorFlow's BFC allocator on the CPU: its peak during one call minus what "
                    "was allocated before it",
    "RSS high-water": "rise of the process's resident high-water mark (VmHWM) during one call",
}


@dataclass
class Timing:
    """One method at one size: call times in seconds and the memory one call allocates."""

    method: str
    size: int
    first_call_s: float
    compile_s: float
    min_s: float
    median_s: float
    iqr_s: float
    repeats: int
    peak_bytes: int | None = None
    memory_source: str | None = None  # a key of MEMORY_SOURCES

    def as_json(self) -> dict:
        """The fields as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Timing:
        """Inverse of as_json; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def sync(result) -> None:
    """Wait until `result` is computed (JAX dispatches asynchronously; so does CUDA). TensorFlow
    executes eagerly and synchronously unless told otherwise: its results are ready when returned."""
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
            memory: bool = True, library: str | None = None) -> Timing:
    """Time fn(*args) as described in the module docstring; `library` picks the memory counter
    (guessed from the arguments' types when not given)."""
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
    peak, source = peak_memory(fn, args, library) if memory else (None, None)
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return Timing(method, size, first, max(0.0, first - float(median)), min(times), float(median),
                  float(q3 - q1), len(times), peak, source)


# --- memory -----------------------------------------------------------------------------------------
def library_of(args: Sequence) -> str:
    """'torch', 'jax', 'tensorflow' or 'numpy': the array library of the first argument that
    belongs to one."""
    for a in args:
        module = type(a).__module__
        if module.startswith("torch"):
            return "torch"
        if module.startswith(("jax", "jaxlib")):
            return "jax"
        if module.startswith("tensorflow"):
            return "tensorflow"
    return "numpy"


def peak_memory(fn: Callable, args: Sequence, library: str | None = None
                ) -> tuple[int | None, str | None]:
    """(bytes one call of fn(*args) allocates at its peak, the MEMORY_SOURCES key that counted them)."""
    library = library or library_of(args)
    library = ALLOCATOR_OF.get(library, library)
    if library == "tensorflow":
        return _tensorflow_peak(fn, args)
    if library == "torch":
        import torch

        cuda = any(isinstance(a, torch.Tensor) and a.is_cuda for a in args)
        return _cuda_peak(fn, args) if cuda else _torch_cpu_peak(fn, args)
    if library == "jax":
        try:
            return _xla_plan(fn, args), "XLA plan"
        except Exception:  # noqa: BLE001 — a function jit cannot trace still has a resident size
            return _rss_peak(fn, args)
    return _tracemalloc_peak(fn, args), "tracemalloc"


def _tensorflow_peak(fn: Callable, args) -> tuple[int | None, str | None]:
    import tensorflow as tf

    tf.config.experimental.reset_memory_stats("CPU:0")
    before = tf.config.experimental.get_memory_info("CPU:0")["current"]
    sync(fn(*args))
    peak = tf.config.experimental.get_memory_info("CPU:0")["peak"]
    if peak == 0:  # the default allocator, which counts nothing
        return _rss_peak(fn, args)
    return int(peak - before), "TF allocator"


def _tracemalloc_peak(fn: Callable, args) -> int:
    tracemalloc.start()
    try:
        sync(fn(*args))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _torch_cpu_peak(fn: Callable, args) -> tuple[int | None, str | None]:
    from torch.profiler import ProfilerActivity, profile

    with native_stderr_silenced(), profile(activities=[ProfilerActivity.CPU],
                                            profile_memory=True) as prof:
        sync(fn(*args))
    try:
        # The raw trace has one '[memory]' record per allocation (+bytes) and free (−bytes);
        # the aggregated events only keep each op's net total, which hides transient arrays.
        events = prof.profiler.kineto_results.events()
    except AttributeError:
        return _rss_peak(fn, args)
    changes = sorted((e.start_ns(), e.nbytes()) for e in events if e.name() == "[memory]")
    running = np.cumsum([0] + [n for _, n in changes])
    return int(running.max()), "torch profiler"


def _cuda_peak(fn: Callable, args) -> tuple[int, str]:
    import torch

    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    sync(fn(*args))
    return int(torch.cuda.max_memory_allocated() - before), "CUDA allocator"


def _xla_plan(fn: Callable, args) -> int:
    import jax

    # Already-jitted functions lower as they are; anything else is jitted, which is how the sweeps
    # run JAX. The arguments exist before the call, so (like tracemalloc) they are not counted.
    lowered = (fn if hasattr(fn, "lower") else jax.jit(fn)).lower(*args)
    stats = lowered.compile().memory_analysis()
    return int(stats.temp_size_in_bytes + stats.output_size_in_bytes)


def _rss_peak(fn: Callable, args) -> tuple[int | None, str | None]:
    try:
        # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = _status_kib("VmRSS")
        sync(fn(*args))
        return max(0, _status_kib("VmHWM") - before) * 1024, "RSS high-water"
    except OSError:
        return None, None


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


# --- deciding a target from side-by-side runs ----------------------------------------------------
@dataclass
class Decision:
    """Whether `a ≤ threshold × b` holds: the median of the paired ratios a/b with its interval."""

    verdict: str  # "met", "missed" or "inconclusive"
    threshold: float
    median: float
    low: float  # the interval's ends: a bootstrap confidence interval of the median ratio
    high: float
    pairs: int
    confidence: float
    seconds: float = 0.0

    def as_json(self) -> dict:
        """The fields as a JSON-ready dict."""
        return asdict(self)

    def interval(self) -> str:
        """'1.93× [1.88, 2.01], 40 pairs' for tables."""
        return f"{self.median:.2f}× [{self.low:.2f}, {self.high:.2f}], {self.pairs} pairs"


CONFIDENCE = 0.95  # of the bootstrap interval every target verdict is decided on


def decide(ratios: Sequence[float], threshold: float, confidence: float = CONFIDENCE,
           resamples: int = 2000, seed: int = 0) -> Decision:
    """`met` when the whole interval of the median ratio is ≤ threshold, `missed` when all of it is
    above, `inconclusive` when it straddles. The interval is a percentile bootstrap of the median."""
    r = np.asarray(ratios, dtype=np.float64)
    draws = np.random.default_rng(seed).choice(r, size=(resamples, r.size), replace=True)
    medians = np.median(draws, axis=1)
    tail = (1 - confidence) / 2
    low, high = (float(v) for v in np.quantile(medians, [tail, 1 - tail]))
    verdict = "met" if high <= threshold else "missed" if low > threshold else "inconclusive"
    return Decision(verdict, threshold, float(np.median(r)), low, high, int(r.size), confidence)


def paired_ratios(a: Callable[[], object], b: Callable[[], object], pairs: int) -> list[float]:
    """time(a)/time(b) for `pairs` back-to-back runs; the order alternates so neither always runs
    on a cache the other warmed, and a load change on the machine hits both sides of a pair."""
    ratios = []
    for i in range(pairs):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        t0 = time.perf_counter()
        sync(first())
        t1 = time.perf_counter()
        sync(second())
        t2 = time.perf_counter()
        ta, tb = (t1 - t0, t2 - t1) if i % 2 == 0 else (t2 - t1, t1 - t0)
        ratios.append(ta / tb)
    return ratios


def until_decided(sample: Callable[[int], list[float]], threshold: float, budget_s: float,
                  min_pairs: int = 10, clock: Callable[[], float] = time.perf_counter) -> Decision:
    """Sample min_pairs ratios, then, while the verdict is inconclusive and the budget lasts, as many
    again as the remaining time allows (at most doubling each round)."""
    start = clock()
    ratios = list(sample(min_pairs))
    decision = decide(ratios, threshold)
    while decision.verdict == "inconclusive":
        elapsed = clock() - start
        per_pair = elapsed / len(ratios)
        more = min(len(ratios), int((budget_s - elapsed) / per_pair) if per_pair > 0 else 0)
        if more < 1:
            break
        ratios += sample(more)
        decision = decide(ratios, threshold)
    decision.seconds = clock() - start
    return decision


def compare(a: Callable[[], object], b: Callable[[], object], threshold: float,
            budget_s: float = 3.0, min_pairs: int = 10) -> Decision:
    """Decide 'a takes at most threshold × b's time' from side-by-side runs (after one warm-up of
    each), repeating within budget_s while the interval straddles the threshold."""
    sync(a())
    sync(b())
    return until_decided(lambda n: paired_ratios(a, b, n), threshold, budget_s, min_pairs)


# --- context ---------------------------------------------------------------------------------------
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "XLA_FLAGS")


def threads() -> dict[str, object]:
    """The thread settings in force: the core count, torch's intra-op threads, and each thread
    variable of the environment (None where unset, i.e. the library's default)."""
    import torch

    return {"cpu_count": os.cpu_count(), "torch_intra_op_threads": torch.get_num_threads(),
            **{name: os.environ.get(name) for name in THREAD_VARIABLES}}


def cpu_model() -> str:
    """The processor's model name as the kernel reports it ('unknown' where it does not)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def load_average() -> float:
    """The 1-minute load average (0.0 where the system does not report one)."""
    try:
        return float(os.getloadavg()[0])
    except OSError:
        return 0.0


OWN_LOAD = 1.0  # the benchmark's own process keeps one core busy, and the load average counts it


def noisy(load_before: float, load_after: float, cores: int | None, own: float = OWN_LOAD) -> bool:
    """Whether a sweep ran on a busy machine: the load beside the benchmark's own (the 1-minute
    load average less `own`, the processes the benchmark itself keeps running) above half the
    cores before or after it."""
    return max(load_before, load_after) - own > (cores or 1) / 2


def threads_sentence(settings: dict) -> str:
    """What the recorded thread settings were, in words, computed from `settings` (threads())."""
    set_vars = [f"{k}={v}" for k in THREAD_VARIABLES if (v := settings.get(k)) is not None]
    return (f"{settings.get('cpu_count')} cores; torch used {settings.get('torch_intra_op_threads')} "
            f"intra-op threads; " + (", ".join(set_vars) if set_vars else
                                     "no thread variable was set (each library's default)"))


def spread(t: Timing) -> str:
    """'1.23 ms ± 0.05' — median and half the interquartile range."""
    return f"{_fmt(t.median_s)} ± {_fmt(t.iqr_s / 2)}"


def _fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


__all__ = ["ALLOCATOR_OF", "CONFIDENCE", "MEMORY_SOURCES", "Decision", "Timing", "compare",
           "OWN_LOAD", "cpu_model", "decide", "library_of", "load_average", "measure", "noisy",
           "paired_ratios", "peak_memory", "spread",
           "sync", "threads", "threads_sentence", "until_decided"]
