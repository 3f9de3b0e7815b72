"""Numerics set once for the whole suite: float64 in JAX, seeded and derandomized hypothesis."""

import os
import tempfile

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

jax.config.update("jax_enable_x64", True)
# The embedded tiny Stable Diffusion pipeline is built into a fresh cache, never the user's.
os.environ.setdefault("LAB_CACHE", tempfile.mkdtemp(prefix="lab-test-cache-"))

settings.register_profile(
    "lab", derandomize=True, deadline=None, max_examples=12, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No shrinking: every example compiles fresh SymPy code, and the unshrunk failing example is
    # printed in full anyway.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.load_profile("lab")


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def describe(rows) -> str:
    """The rows that are not as expected, one line each, for assertion messages."""
    return "\n".join(f"{r.case} {r.backend}.{r.variant} order {r.order}: {r.verdict} "
                     f"ρ={r.max_error} tol={r.tolerance} {r.detail}" for r in rows if not r.ok)
