"""JAX as the lab uses it, configured in one place before any array exists: float64 everywhere,
and XLA's persistent compilation cache (under the lab's cache folder), so that a second run does
not compile again what a first run compiled — most of `lab check`'s time on a cold start."""

from __future__ import annotations

import jax

from lab.cache import cache_dir

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_compilation_cache_dir", str(cache_dir("jax")))
# Cache every compilation: the eager operations are small and quick to compile, but many.
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)

import jax.numpy as jnp  # noqa: E402  (after x64 is on)

__all__ = ["jax", "jnp"]
