"""Where differentiation breaks: the studies report what the libraries really return."""

import math

from lab.studies.breakage import accuracy_study, identity_study, loop_reference, loop_study


def test_accuracy_has_no_useful_gradient_but_ce_does():
    s = accuracy_study()
    assert all(v == 0.0 for v in s.columns["torch autograd"])
    assert all(v == 0.0 for v in s.columns["JAX grad"])
    assert s.columns["SymPy"][2].startswith("DiracDelta")
    fd = s.columns["central FD"]
    assert fd[0] == 0.0 and fd[2] > 1e4  # zero away from the jump, a spike across it
    assert all(v < -0.1 for v in s.columns["∂CE/∂d (surrogate)"])


def test_loop_ad_and_what_jax_says():
    s = loop_study()
    xs = s.inputs
    for i, x in enumerate(xs):
        exact = loop_reference(x)
        if not math.isnan(exact):
            assert s.columns["torch autograd (eager)"][i] == exact
            assert s.columns["JAX grad (Python loop)"][i] == exact
            assert s.columns["JAX lax.while_loop, forward (jvp)"][i] == exact
    assert all("Reverse-mode differentiation does not work" in v
               for v in s.columns["JAX lax.while_loop, reverse (grad)"])
    assert all(isinstance(v, str) for v in s.columns["JAX jit(grad) (Python loop)"])
    assert math.isnan(loop_reference(10.0)) and loop_reference(12.0) == 0.25
    assert any("cannot determine truth value" in n for n in s.notes)


def test_identity_sympy_exact_ad_rounded():
    s = identity_study()
    assert s.columns["SymPy diff, simplified"] == [1.0] * len(s.inputs)
    assert all(abs(v) < 1e-12 for v in s.columns["torch autograd − 1"])
    assert any(v != 0.0 for v in s.columns["torch autograd − 1"])
