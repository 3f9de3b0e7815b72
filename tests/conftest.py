"""Numerics set once for the whole suite: float64 in JAX, seeded and derandomized hypothesis."""

import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

# The embedded tiny Stable Diffusion pipeline and JAX's compilation cache go into a fresh cache,
# never the user's (set before lab.backends.jaxconfig reads it).
os.environ.setdefault("LAB_CACHE", tempfile.mkdtemp(prefix="lab-test-cache-"))

# JAX and torch are imported only by the tests that use them in this process (the backends run in
# worker processes): each test file does not pay their imports.

# "ci": seeded and reproducible (the default); "thorough": ten times the examples, fresh ones each
# run, for local hunting (LAB_HYPOTHESIS_PROFILE=thorough). Per-test counts scale with the profile
# through helpers.examples().
COMMON = dict(deadline=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
              # No shrinking: every example compiles fresh SymPy code, and the unshrunk failing
              # example is printed in full anyway.
              phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.register_profile("ci", derandomize=True, max_examples=20, **COMMON)
settings.register_profile("thorough", max_examples=200, **COMMON)
settings.load_profile(os.environ.get("LAB_HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config, items):
    if not any("gpu" in item.keywords for item in items):
        return
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

