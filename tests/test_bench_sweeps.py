"""Every timed job computes what its row says it does: the derivative, at every point, as an array
of the input's shape (run at tiny sizes; nothing here is timed)."""

import numpy as np
import pytest
import torch

from lab.bench import sweeps
from lab.exercises.polynomial import COURSE_COEFFICIENTS, horner, power_rule
from lab.exercises.softmax import jacobian_closed_form


def _array(value) -> np.ndarray:
    if hasattr(value, "error"):  # methods with an error estimate return values + error
        value = value.values
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return np.asarray(value)


def _tolerance(method: str) -> float:
    return 1e-2 if "FD" in method else 1e-10  # finite differences: step-limited accuracy


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_polynomial_jobs_give_the_derivative_at_every_point(order):
    coefficients = list(COURSE_COEFFICIENTS)
    for _ in range(order):
        coefficients = power_rule(coefficients)
    x = np.linspace(-2.0, 3.0, 7)
    expected = horner(coefficients, x)
    for method, _, fn, args in sweeps.polynomial_jobs(order)(7):
        got = _array(fn(*args))
        assert got.shape == x.shape and got.dtype == np.float64, method
        np.testing.assert_allclose(got, expected, rtol=_tolerance(method), atol=_tolerance(method),
                                   err_msg=method)


def test_sympy_fourth_derivative_is_an_array_of_24s_not_the_number_24():
    job = {m: (fn, args) for m, _, fn, args in sweeps.polynomial_jobs(4)(5)}["SymPy lambdify"]
    got = job[0](*job[1])
    assert isinstance(got, np.ndarray) and got.shape == (5,) and got.flags.writeable
    assert np.all(got == 24.0)


def test_softmax_jobs_give_the_jacobian():
    n = 5
    z = np.random.default_rng(0).normal(0.0, 3.0, n)
    for method, _, fn, args in sweeps.softmax_jobs(n):
        got = _array(fn(*args))
        assert got.shape == (n, n), method
        if not method.startswith("write-floor"):
            np.testing.assert_allclose(got, jacobian_closed_form(z), atol=_tolerance(method) / 100,
                                       err_msg=method)


@pytest.mark.parametrize("loss", ["CE", "SE"])
def test_loss_jobs_give_the_gradient(loss):
    z, _ = sweeps.loss_data((10, sweeps.classes(10)))
    jobs = list(sweeps.loss_jobs(loss)(10))
    closed = _array(jobs[0][2](*jobs[0][3]))
    for method, _, fn, args in jobs[1:]:
        if method.startswith("tape, forward"):  # times the recording alone, by design
            continue
        got = _array(fn(*args)).reshape(z.shape)
        np.testing.assert_allclose(got, closed, atol=_tolerance(method) / 100, err_msg=method)


def test_loss_problems_of_different_shapes_are_labelled_apart():
    (ce, sizes), _ = sweeps.family("loss_gradients", {"sizes": [10, 100]})
    assert ce.group(10) == "10 classes" and ce.group(100) == "1000 classes"
    assert sweeps.loss_data((100, sweeps.classes(100)))[0].shape == (100, 1000)


def test_tape_footprint_counts_the_recorded_arrays():
    values, nbytes = sweeps.tape_footprint("CE", 10)
    assert values > 3 and nbytes >= 2 * 10 * 10 * 8  # at least the logits and the labels
