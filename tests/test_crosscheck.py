"""The cross-check over the course's exercises, and that it can tell right from wrong."""

import numpy as np
import pytest
from conftest import describe

from lab.backends import METHODS, Method, Unsupported
from lab.crosscheck import check, check_case, compare, rho
from lab.exercises import EXERCISES
from lab.exercises.base import Case, ClosedForm
from lab.exercises.losses import LOSSES, se_two_class_forms, wrt_logits
from lab.exercises.polynomial import course_case


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_every_backend_agrees_on_the_course_exercises(exercise):
    rows = check(EXERCISES[exercise](), METHODS)
    assert rows and all(r.ok for r in rows), describe(rows)
    # The exact and AD families compute every case; only the tape stops at first derivatives.
    for r in rows:
        if r.family in ("exact", "ad") and r.expected == "agree":
            assert r.verdict == "agree" or (r.backend == "tape" and r.order > 1), describe([r])


def test_rho_is_gradbenchs_metric():
    assert rho(np.array([2.0]), np.array([2.0 + 1e-12]))[0] == pytest.approx(1e-12 / 4.0)
    assert rho(np.array([1e-3]), np.array([2e-3]))[0] == pytest.approx(1e-3)  # absolute near 0
    assert rho(np.array([1.0]), np.array([np.nan]))[0] == np.inf


def test_compare_names_the_first_bad_value():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = expected.copy()
    got[1, 0] = 3.5
    worst, verdict, detail = compare(expected, got, 1e-13)
    assert verdict == "disagree"
    assert worst == pytest.approx(0.5 / 6.5)
    assert "point 1, entry (0,)" in detail and "expected 3" in detail and "got 3.5" in detail


def test_compare_undefined_reference():
    _, verdict, _ = compare(np.array([np.nan, np.nan]), np.array([1.0, 2.0]), 1e-13)
    assert verdict == "undefined"
    worst, verdict, detail = compare(np.array([np.nan, 2.0]), np.array([5.0, 2.0]), 1e-13)
    assert verdict == "agree" and worst == 0.0 and "1 value" in detail


def test_planted_wrong_closed_form_is_caught():
    case = course_case()
    wrong = ClosedForm("p1 with a sign slip", lambda x: 4 * x**3 - 6 * x**2 - 6 * x - 4, order=1)
    planted = Case(case.exercise, case.function, case.kind, case.points, (1,), (wrong,))
    [row] = [r for r in check_case(planted, []) if r.backend == "closed_form"]
    assert row.verdict == "disagree" and not row.ok
    assert "expected" in row.detail and "got" in row.detail


def test_the_course_plot_constant_is_wrong_and_its_derivation_right():
    y = np.array([0.3, 0.7])
    z = np.random.default_rng(1).normal(0.0, 2.0, size=(6, 2))
    case = wrt_logits(LOSSES["SE"], y, z, "n=2", extra_forms=se_two_class_forms(y))
    rows = {r.variant: r for r in check_case(case, []) if r.backend == "closed_form"}
    assert rows["course derivation 4 p1(1-p1)(p1-y1)"].verdict == "agree"
    plot = rows["course plot 2 p1(1-p1)(p1-y1)"]
    assert plot.verdict == "disagree" and plot.ok  # expected: it is a recorded erratum
    # The plotted curve is exactly half the true gradient.
    forms = se_two_class_forms(y)
    assert np.allclose(2 * forms[1].compute(z[0]), forms[0].compute(z[0]))


class _Raises(Method):
    backend, variant = "test", "raises"

    def derivative(self, f, x, order):
        raise RuntimeError("boom\nsecond line")


class _Opts(Method):
    backend, variant = "test", "opts-out"

    def derivative(self, f, x, order):
        raise Unsupported("not for this one")


def test_a_failing_backend_is_a_verdict_not_a_crash():
    rows = list(check_case(course_case(), [_Raises(), _Opts()], closed_forms=False))
    raised = [r for r in rows if r.variant == "raises"]
    assert {r.verdict for r in raised} == {"error"}
    assert raised[0].detail == "RuntimeError: boom" and not raised[0].ok
    opted = [r for r in rows if r.variant == "opts-out"]
    assert {r.verdict for r in opted} == {"unsupported"} and all(r.ok for r in opted)
