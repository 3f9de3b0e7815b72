"""The lecture-claims page decides each verdict from the results it is handed: contradicting
timings, rows or studies must change the verdict and the evidence."""

from dataclasses import replace

import numpy as np

from lab.check.crosscheck import Row
from lab.report import lecture_claims as cp
from lab.report.results import Results, StepStudy
from lab.studies.breakage import Study


def record(times: dict[str, float], sweep="ce_gradient", size=1000) -> dict:
    """A sweep record with one timing per method at one size."""
    return {"sweep": sweep, "title": sweep, "size_label": "batch", "family": "loss_gradients",
            "timings": [{"method": m, "size": size, "median_s": t, "first_call_s": 10 * t}
                        for m, t in times.items()]}


def ad_row(verdict="agree", max_error=1e-16, family="ad") -> Row:
    return Row(exercise="losses", case="c", backend="torch", variant="autograd", family=family,
               kind="gradient", order=1, max_error=max_error, tolerance=1e-13, verdict=verdict)


def test_tf_and_torch_similarity_follows_the_timings():
    close = [record({"torch autograd": 1.0, "TensorFlow GradientTape": 1.5})]
    far = [record({"torch autograd": 1.0, "TensorFlow GradientTape": 50.0})]
    mixed = close + [record({"torch autograd": 1.0, "TensorFlow GradientTape": 0.01}, sweep="softmax")]
    assert cp.tf_vs_torch(close).verdict == cp.HOLDS
    assert cp.tf_vs_torch(far).verdict == cp.FAILS
    assert cp.tf_vs_torch(mixed).verdict == cp.CAVEAT
    assert cp.tf_vs_torch([]).verdict == cp.UNMEASURED
    assert "50" in cp.tf_vs_torch(far).evidence


def test_jax_speed_needs_jit_and_no_jit_faster_to_hold_fully():
    both = [record({"torch autograd": 1.0, "JAX jit(grad)": 0.1, "JAX grad, no jit": 0.5})]
    jit_only = [record({"torch autograd": 1.0, "JAX jit(grad)": 0.1, "JAX grad, no jit": 5.0})]
    slower = [record({"torch autograd": 1.0, "JAX jit(grad)": 2.0})]
    assert cp.jax_faster(both).verdict == cp.HOLDS
    assert cp.jax_faster(jit_only).verdict == cp.CAVEAT
    assert cp.jax_faster(slower).verdict == cp.FAILS


def test_ad_exactness_fails_when_an_ad_row_disagrees():
    assert cp.ad_exact(Results(rows=[ad_row()])).verdict == cp.CAVEAT
    bad = cp.ad_exact(Results(rows=[ad_row(), ad_row("disagree", 0.3)]))
    assert bad.verdict == cp.FAILS and "1 of 2" in bad.evidence


def test_accuracy_claim_fails_if_ad_gives_a_nonzero_gradient():
    ds = [-2.0, 0.0, 2.0]
    study = Study("∂accuracy/∂d", ds, {"torch autograd": [0.0, 0.0, 0.0], "JAX grad": [0.0, 0.0, 0.0],
                                       "∂CE/∂d (surrogate)": [-0.9, -0.5, -0.1]})
    assert cp.accuracy_loss(Results(breakage=[study])).verdict == cp.HOLDS
    wrong = replace(study, columns={**study.columns, "JAX grad": [0.0, 0.0, 0.3]})
    assert cp.accuracy_loss(Results(breakage=[wrong])).verdict == cp.FAILS


def test_finite_difference_claim_reads_the_step_study():
    class Sweep:
        title = "t"

        def __init__(self, errors):
            self.errors = {"central O(h²)": np.asarray(errors)}

        def best(self):
            e = self.errors["central O(h²)"]
            return {"central O(h²)": (10.0 ** -(int(np.argmin(e)) + 1), float(np.min(e)))}

    steps = 10.0 ** -np.arange(1, 4)
    unstable = cp.finite_differences(Results(steps=StepStudy(steps, [Sweep([1e-3, 1e-9, 0.5])])))
    stable = cp.finite_differences(Results(steps=StepStudy(steps, [Sweep([1e-3, 1e-9, 1e-6])])))
    assert unstable.verdict == cp.HOLDS and "5.0e-01" in unstable.evidence
    assert stable.verdict == cp.CAVEAT


def test_the_loop_claim_quotes_the_swell_sweeps_computed_growth():
    exact = [1.0, 0.5, float("nan")]
    study = Study("∂/∂x of `while abs(x) > 5: x = x / 2`", [3.0, 7.0, 10.0],
                  {"exact (piecewise)": exact, "torch autograd (eager)": [1.0, 0.5, 0.5],
                   "JAX grad (Python loop)": [1.0, 0.5, 0.5]},
                  ["SymPy cannot run the loop on a symbol: TypeError: no. More."])
    growth = {"sweep": "swell_loop", "family": "swell",
              "notes": ["## Growth\n\n- lines\n\nDerivative size grows exponentially for X."]}
    claim = cp.static_only(Results(breakage=[study]), [growth])
    assert claim.verdict == cp.CAVEAT and "derivative size grows exponentially for X" in claim.evidence
    wrong = replace(study, columns={**study.columns, "torch autograd (eager)": [1.0, 0.25, 0.5]})
    assert cp.static_only(Results(breakage=[wrong]), []).verdict == cp.FAILS
