"""Property tests: on random polynomials, logits and targets every method gives the verdict its
family should — exact and AD methods agree with the exact reference within their tolerance,
numerical ones agree or say they cannot reach a useful accuracy — and softmax has the invariances
the course states."""

from fractions import Fraction

import numpy as np
import pytest
from helpers import describe, examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lab.backends import FAMILIES, METHODS
from lab.check.crosscheck import check_case
from lab.exercises.losses import LOSSES, wrt_logits
from lab.exercises.polynomial import random_case
from lab.exercises.softmax import naive_softmax, normalize, softmax, softmax_case

METHOD_IDS = [m.label for m in METHODS]

coefficients = st.lists(
    st.fractions(min_value=-10, max_value=10, max_denominator=12), min_size=1, max_size=9)
points = st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=1, max_size=6, unique=True)


def logits(n: int, magnitude: float):
    return st.lists(st.floats(-magnitude, magnitude, allow_nan=False), min_size=n, max_size=n)


def sizes_and_logits(largest: int):
    return st.integers(2, largest).flatmap(
        lambda n: st.tuples(st.just(n), st.sampled_from([3.0, 30.0, 1e3]).flatmap(
            lambda mag: logits(n, mag))))


def targets(n: int):
    one_hot = st.integers(0, n - 1).map(lambda i: np.eye(n)[i])
    soft = st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n).map(
        lambda w: np.asarray(w) / np.sum(w))
    return st.one_of(one_hot, soft)


# The verdict each family must give on these smooth, well-scaled cases. Exact and AD methods are
# exact up to rounding: they agree. A stencil may be too coarse for a useful accuracy (inaccurate),
# and two numerical variants do not go past order 2, saying so. An always-unsupported (or always
# inaccurate) method fails here, where a check of `ok` alone would pass it.
ALLOWED = {"exact": {"agree"}, "ad": {"agree"}, "numerical": {"agree", "inaccurate"}}
LIMITED_ORDER = {"finite.complex_step": 2, "finite.adaptive": 2}


def expected_verdicts(row) -> set[str]:
    allowed = set(ALLOWED.get(FAMILIES.get(row.backend, "exact"), {"agree"}))
    label = f"{row.backend}.{row.variant}"
    if label in LIMITED_ORDER and row.order > LIMITED_ORDER[label]:
        allowed = {"unsupported"}
    return allowed


def assert_rows_ok(rows):
    rows = list(rows)
    assert rows, "no rows"
    wrong = [r for r in rows if r.verdict not in expected_verdicts(r)]
    assert not wrong, "\n".join(f"{r.case} {r.backend}.{r.variant} order {r.order}: {r.verdict} "
                                f"(expected {sorted(expected_verdicts(r))}) {r.detail}" for r in wrong)
    assert describe(rows) == ""  # every row is an honest outcome


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
@settings(max_examples=examples(16))
@given(coefficients, points)
@example([Fraction(1), Fraction(-4), Fraction(3), Fraction(-2), Fraction(1)], [0.0, 1.5])
def test_random_polynomials(method, coeffs, xs):
    case = random_case(coeffs, np.array(xs))
    assert_rows_ok(check_case(case, [method]))


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
@settings(max_examples=examples(12))
@given(st.sampled_from([2, 3, 5, 8, 13]).flatmap(
    lambda n: st.sampled_from([3.0, 1e3]).flatmap(lambda mag: logits(n, mag))))
@example([800.0, -900.0, 0.0])  # exp(800) overflows a naive softmax
def test_softmax_jacobian(method, z):
    case = softmax_case(len(z), np.array([z]))
    assert_rows_ok(check_case(case, [method]))


# SE's gradient through softmax couples every pair of components: its exact expression grows as n²,
# so SymPy compiles it in minutes at n = 64. CE's and KL's gradients are p − y, linear in n.
@pytest.mark.parametrize(("loss", "largest"), [("CE", 64), ("KL", 64), ("SE", 12)])
@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
@settings(max_examples=examples(6))
@given(data=st.data())
def test_loss_gradients_wrt_logits(method, loss, largest, data):
    n, z = data.draw(sizes_and_logits(largest))
    y = data.draw(targets(n))
    case = wrt_logits(LOSSES[loss], y, np.array([z]), "random")
    assert_rows_ok(check_case(case, [method]))


@given(logits(6, 50.0), st.floats(-1e3, 1e3))
def test_softmax_sums_to_one_and_ignores_shifts(z, k):
    z = np.array(z)
    p = softmax(z)
    assert p.sum() == pytest.approx(1.0, abs=1e-14)
    assert np.allclose(softmax(z + k), p, rtol=1e-9, atol=1e-15)


@given(logits(4, 5.0).filter(lambda z: np.ptp(z) > 0.1), st.floats(1.5, 10.0))
def test_softmax_is_not_scale_invariant_but_normalization_is(z, c):
    z = np.array(z)
    assert not np.allclose(softmax(c * z), softmax(z), atol=1e-6)
    positive = np.abs(z) + 1.0
    assert np.allclose(normalize(c * positive), normalize(positive))
    assert not np.allclose(normalize(positive + 10.0), normalize(positive))


def test_the_lectures_numbers():
    assert np.allclose(softmax(np.array([1.0, 2.0])), [0.2689414, 0.7310586])
    assert np.allclose(softmax(np.array([10.0, 20.0])), [4.539787e-05, 0.9999546])
    assert np.allclose(softmax(np.array([11.0, 12.0])), softmax(np.array([1.0, 2.0])))
    for z in ([1.0, 2.0], [10.0, 20.0]):
        assert np.allclose(normalize(np.array(z)), [1 / 3, 2 / 3])


def test_naive_softmax_overflows_where_the_shifted_one_does_not():
    z = np.array([800.0, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(naive_softmax(z)).any()
    assert np.allclose(softmax(z), [1.0, 0.0])
