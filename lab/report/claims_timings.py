"""The benchmark records the claims page reads: the libraries it compares, and the fastest
timing of each at a size."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Match = Callable[[dict], bool]  # on a timing's label fields (lab.bench.labels.Label)


def engine_in(*engines: str) -> Match:
    """Accepts the rows timed with one of these registry variants."""
    return lambda label: label.get("engine") in engines


LIBRARIES: dict[str, Match] = {
    "torch (eager autograd)": engine_in("torch.autograd"),
    "TensorFlow (eager GradientTape)": engine_in("tensorflow.tape", "tensorflow.jacobian"),
    "TensorFlow (tf.function)": engine_in("tensorflow.function"),
    "JAX (no jit)": engine_in("jax.grad", "jax.jacfwd"),
    "JAX (jit)": engine_in("jax.jit"),
}


def bench_records(out: Path) -> list[dict]:
    """The sweep records of the report's bench/ folder (none when it has not been measured)."""
    from lab.bench.records import load

    folder = Path(out) / "bench"
    return [r for r in load(folder) if not r.get("unreadable")] if folder.is_dir() else []


def fastest(record: dict, match: Match, size: int) -> dict | None:
    """The fastest timing at `size` among the record's rows whose label `match` accepts."""
    labels = record.get("labels", {})
    found = [t for t in record.get("timings", [])
             if t["size"] == size and match(labels.get(t["method"], {}))]
    return min(found, key=lambda t: t["median_s"], default=None)


def largest_common(record: dict, matches: list[Match]) -> tuple[int, list[dict]] | None:
    """The largest size at which every `match` has a timing, and those timings (fastest each)."""
    sizes = sorted({t["size"] for t in record.get("timings", [])}, reverse=True)
    for size in sizes:
        found = [fastest(record, m, size) for m in matches]
        if all(found):
            return size, found
    return None
