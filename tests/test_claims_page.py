"""The lecture-claims page decides each verdict from the results it is handed: contradicting
timings, rows or studies must change the verdict and the evidence."""

from dataclasses import replace

import numpy as np

from lab.check.crosscheck import Row
from lab.report import lecture_claims as cp
from lab.report.results import Results, StepStudy
from lab.studies.breakage import Study


def record(times: dict[str, float], sweep="ce_gradient", size=1000) -> dict:
    """A sweep record with one timing per registry variant at one size, labelled as sweeps are."""
    return {"sweep": sweep, "title": sweep, "size_label": "batch", "family": "loss_gradients",
            "timings": [{"method": m, "size": size, "median_s": t, "first_call_s": 10 * t}
                        for m, t in times.items()],
            "labels": {m: {"library": m.split(".")[0], "mode": "reverse", "engine": m,
                           "origin": "registry"} for m in times}}


def ad_row(verdict="agree", max_error=1e-16, family="ad") -> Row:
    return Row(exercise="losses", case="c", backend="torch", variant="autograd", family=family,
               kind="gradient", order=1, max_error=max_error, tolerance=1e-13, verdict=verdict)


def test_tf_and_torch_similarity_follows_the_timings():
    close = [record({"torch.autograd": 1.0, "tensorflow.tape": 1.5})]
    far = [record({"torch.autograd": 1.0, "tensorflow.tape": 50.0})]
    mixed = close + [record({"torch.autograd": 1.0, "tensorflow.tape": 0.01}, sweep="softmax")]
    assert cp.tf_vs_torch(close).verdict == cp.HOLDS
    assert cp.tf_vs_torch(far).verdict == cp.FAILS
    assert cp.tf_vs_torch(mixed).verdict == cp.CAVEAT
    assert cp.tf_vs_torch([]).verdict == cp.UNMEASURED
    assert "50" in cp.tf_vs_torch(far).evidence


def test_jax_is_much_faster_only_by_the_stated_factor():
    much = [record({"torch.autograd": 1.0, "jax.jit": 1 / (cp.MUCH_FASTER + 1)})]
    barely = [record({"torch.autograd": 1.0, "jax.jit": 0.9})]  # faster, not much faster
    mixed = much + [record({"torch.autograd": 1.0, "jax.jit": 0.9}, sweep="softmax")]
    assert cp.jax_faster(much).verdict == cp.HOLDS
    assert cp.jax_faster(barely).verdict == cp.FAILS
    assert cp.jax_faster(mixed).verdict == cp.CAVEAT and "1 of 2 sweeps" in cp.jax_faster(mixed).evidence
    assert f"at least {cp.MUCH_FASTER:g} times faster" in cp.jax_faster(much).evidence
    assert cp.jax_faster([]).verdict == cp.UNMEASURED


def test_a_first_call_is_called_a_compile_only_when_measured_cold():
    warm = record({"torch.autograd": 1.0, "jax.jit": 0.1})
    assert "compiling" not in cp.jax_faster([warm]).evidence
    warm["timings"][1]["cold"] = True
    assert "cold: tracing and compiling" in cp.jax_faster([warm]).evidence


def test_ad_exactness_reaches_every_verdict():
    exact = cp.ad_exact(Results(rows=[ad_row(max_error=0.0), ad_row(max_error=0.0)]))
    assert exact.verdict == cp.HOLDS and ": exact." in exact.evidence
    rounded = cp.ad_exact(Results(rows=[ad_row(max_error=0.0), ad_row(max_error=1e-16)]))
    assert rounded.verdict == cp.CAVEAT and "not exact" in rounded.evidence
    bad = cp.ad_exact(Results(rows=[ad_row(), ad_row("disagree", 0.3)]))
    assert bad.verdict == cp.FAILS and "1 of 2" in bad.evidence


def identity_study(sympy=(1.0, 1.0), residue=(0.0, 2.2e-16)) -> Study:
    """The identity study: SymPy's simplified derivative, and AD's derivative minus 1."""
    return Study("d/dx [x·(sin²x + cos²x)]", [0.5, 2.0],
                 {"SymPy diff, simplified": list(sympy), "torch autograd − 1": list(residue),
                  "JAX grad − 1": list(residue)})


def test_the_simplification_claim_reaches_every_verdict():
    def verdict(study):
        return cp.no_simplification(Results(breakage=[study])).verdict

    assert verdict(identity_study()) == cp.HOLDS  # SymPy exact, AD off by a rounding residue
    assert verdict(identity_study(residue=(0.0, 0.0))) == cp.CAVEAT  # AD happened to round to 1
    assert verdict(identity_study(sympy=(1.0, 0.9))) == cp.FAILS


def test_the_accuracy_claim_reaches_every_verdict():
    ds = [-2.0, -1.0, 0.0, 1.0, 2.0]
    study = Study("∂accuracy/∂d", ds, {"torch autograd": [0.0] * 5, "JAX grad": [0.0] * 5,
                                       "SymPy": ["0", "0", "nan", "0", "0"],
                                       "∂CE/∂d (surrogate)": [-0.9, -0.7, -0.5, -0.3, -0.1]},
                  ["SymPy: d/dd Heaviside(d) = DiracDelta(d) — zero everywhere but d = 0"])
    holds = cp.accuracy_loss(Results(breakage=[study]))
    assert holds.verdict == cp.HOLDS
    assert "(d/dd Heaviside(d) = DiracDelta(d)) is 0 at 4 of 4" in holds.evidence
    some = replace(study, columns={**study.columns, "JAX grad": [0.0, 0.0, 0.0, 0.0, 0.3]})
    assert cp.accuracy_loss(Results(breakage=[some])).verdict == cp.CAVEAT  # 7 of 8 are zero
    wrong = replace(study, columns={**study.columns, "JAX grad": [0.3] * 5,
                                    "torch autograd": [0.1, 0.1, 0.0, 0.0, 0.1]})
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

    def claim(errors):
        return cp.finite_differences(Results(steps=StepStudy(steps, [Sweep(errors)])))

    unstable = claim([1e-3, 1e-9, 0.5])
    assert unstable.verdict == cp.HOLDS and "5.0e-01" in unstable.evidence
    assert claim([1e-3, 1e-9, 1e-6]).verdict == cp.CAVEAT  # grows 1000-fold, stays below 1e-2
    steady = claim([1e-3, 1e-9, 2e-9])  # shrinking h past the best step costs nothing
    assert steady.verdict == cp.FAILS and "for 0 of 1 stencils" in steady.evidence


def test_the_loop_claim_reaches_every_verdict():
    exact = [1.0, 0.5, float("nan")]
    study = Study("∂/∂x of `while abs(x) > 5: x = x / 2`", [3.0, 7.0, 10.0],
                  {"exact (piecewise)": exact, "torch autograd (eager)": [1.0, 0.5, 0.5],
                   "JAX grad (Python loop)": [1.0, 0.5, 0.5]},
                  ["SymPy cannot run the loop on a symbol: TypeError: no. More."])
    growth = {"sweep": "swell_loop", "family": "swell",
              "notes": ["## Growth\n\n- lines\n\nDerivative size grows exponentially for X."]}
    caveat = cp.static_only(Results(breakage=[study]), [growth])
    assert caveat.verdict == cp.CAVEAT and "derivative size grows exponentially for X" in caveat.evidence
    alone = cp.static_only(Results(breakage=[study]), [])  # nothing measured the unrolled loop
    assert alone.verdict == cp.HOLDS and "unrolls" not in alone.evidence
    wrong = replace(study, columns={**study.columns, "torch autograd (eager)": [1.0, 0.25, 0.5]})
    assert cp.static_only(Results(breakage=[wrong]), []).verdict == cp.FAILS
    symbolic = replace(study, notes=[])  # SymPy ran the loop after all
    assert cp.static_only(Results(breakage=[symbolic]), []).verdict == cp.FAILS
