"""TensorFlow, HIPS autograd and torch.compile as backends: the namespace programs get, traces that
are not repeated, honest refusals, and `lab diff` through them. (Every exercise through every
variant is checked against the exact reference in test_crosscheck.)"""

import json
import subprocess
import sys

import autograd
import numpy as np
import pytest

from lab.backends import select
from lab.backends import tensorflow_ad as tfad
from lab.cli import main
from lab.core.arrays import namespace
from lab.exercises.losses import LOSSES  # noqa: F401  (the exercises load their programs)
from lab.exercises.polynomial import course_case
from lab.exercises.softmax import softmax, softmax_function


def test_programs_get_each_librarys_numpy():
    assert namespace(tfad.constant(np.ones(2))).__name__ == "tensorflow.experimental.numpy"
    seen = []
    autograd.grad(lambda x: (seen.append(namespace(x).__name__), x * x)[1])(1.5)
    assert seen == ["autograd.numpy"]
    assert "numpy" in namespace(np.ones(2)).__name__


def test_the_namespace_module_imports_neither_library():
    code = ("import sys, lab.core.arrays, lab.exercises; "
            "print(sorted(m for m in ('tensorflow', 'autograd') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tf_function_traces_once_for_every_number_of_points():
    f = course_case().function
    (method,) = select(["tensorflow.function"])
    before = tfad.traces(f.program, "derivative", 2, (None,))
    for n in (3, 7, 11):
        x = np.linspace(-1.0, 2.0, n)
        got = method.derivative(f, x, 2)
        assert got.shape == (n,)
    assert tfad.traces(f.program, "derivative", 2, (None,)) - before <= 1


def test_tf_and_autograd_jacobians_of_softmax_match_the_closed_form():
    z = np.array([0.5, -1.0, 2.0])
    p = softmax(z)
    closed = np.diag(p) - np.outer(p, p)
    f = softmax_function(3)
    for method in select(["tensorflow", "autograd"]):
        assert np.allclose(method.jacobian(f, z), closed, rtol=0, atol=1e-15), method.label


def test_lab_diff_hessian_through_tensorflow_autograd_and_compile(capsys):
    rc = main(["diff", "x*y + sin(x)", "--hessian", "--at", "x=1,y=2", "--json",
               "--backend", "tensorflow", "autograd", "torch.compile"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    expected = [[-np.sin(1.0), 1.0], [1.0, 0.0]]
    assert set(out["backends"]) >= {"tensorflow.tape", "tensorflow.jacobian", "tensorflow.function",
                                    "autograd.grad", "autograd.jacobian", "torch.compile"}
    for label, result in out["backends"].items():
        assert result["verdict"] == "agree", (label, result)
        assert np.allclose(np.asarray(result["values"]).reshape(2, 2), expected, atol=1e-15), label


def test_higher_orders_of_a_user_expression(capsys):
    rc = main(["diff", "sin(x)/x", "--order", "3", "--at", "0.5,2", "--json",
               "--backend", "tensorflow", "autograd"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and {r["verdict"] for r in out["backends"].values()} == {"agree"}


@pytest.mark.parametrize("code", ["import lab.backends.tensorflow_ad, triton",
                                  "import lab.backends.tensorflow_ad, torch; "
                                  "torch.func.grad(torch.sin)(torch.tensor(1.0))"])
def test_tensorflow_then_torchs_compiler_does_not_crash(code):
    # TF's LLVM loaded before triton's crashed the process (exit −11); the backend loads triton first.
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
