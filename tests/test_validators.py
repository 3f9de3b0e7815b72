"""The libraries' own gradient checkers, run on every exercise's program as extra validators."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from jax.test_util import check_grads

from lab.backends import jaxconfig  # noqa: F401  (float64 JAX)
from lab.exercises import all_cases

CASES = all_cases()
IDS = [c.name for c in CASES]


def _first_point(case):
    return case.points[:3] if case.kind == "derivative" else case.points[0]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_torch_gradcheck(case):
    x = torch.tensor(_first_point(case), dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(case.function.program, (x,), eps=1e-6, atol=1e-5)
    if case.function.real_only != "abs() is not complex-analytic":  # L1 has no 2nd derivative
        assert torch.autograd.gradgradcheck(case.function.program, (x,), eps=1e-6, atol=1e-4)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jax_check_grads(case):
    x = jnp.asarray(_first_point(case))
    order = 1 if "abs()" in case.function.real_only else 2
    check_grads(case.function.program, (x,), order=order, modes=("fwd", "rev"), eps=1e-6)


def test_check_grads_rejects_a_wrong_custom_gradient():
    @jax.custom_jvp
    def f(x):
        return jnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return jnp.sin(x), 2.0 * jnp.cos(x) * t  # wrong by a factor 2

    with pytest.raises(AssertionError):
        check_grads(f, (np.float64(0.3),), order=1, modes=("fwd",))
