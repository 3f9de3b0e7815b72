"""The numpy tape on its own, and the lecture's computation graph."""

import numpy as np
import pytest

from lab.backends import Unsupported
from lab.backends.tape import Tape, Var, backward, grad_of, hessian_of, total
from lab.exercises.graph import graph
from lab.exercises.polynomial import course_case
from lab.studies.graph import trace


def test_lecture_graph_values_and_adjoints():
    nodes = trace(2.0, 1.0)
    assert nodes["e = c·d"] == (6.0, 1.0)
    assert nodes["a"][1] == 2.0 and nodes["b"][1] == 5.0
    assert nodes["c = a + b"] == (3.0, 2.0) and nodes["d = b + 1"] == (2.0, 3.0)
    assert np.array_equal(grad_of(graph, np.array([2.0, 1.0])), [2.0, 5.0])


def test_fan_out_adds_adjoints():
    x = Var(3.0)
    y = x * x * x  # x used three times
    assert backward(y, 1.0)[id(x)] == pytest.approx(27.0)


def test_broadcasting_is_undone():
    x = Var(np.array([1.0, 2.0, 3.0]))
    s = Var(2.0)
    grads = backward(total(x * s), 1.0)
    assert np.allclose(grads[id(x)], [2.0, 2.0, 2.0]) and grads[id(s)] == pytest.approx(6.0)


def test_tape_says_what_it_cannot_do():
    with pytest.raises(Unsupported, match="constant powers only"):
        Tape().derivative(course_case().function.__class__("x^x", None, (), lambda v: v**v),
                          np.array([1.5]), 1)


def test_a_recorded_backward_pass_differentiates_again():
    """The second derivative of the course's p0 by the tape equals the power rule applied twice,
    and the Hessian of x·y² is [[0, 2y], [2y, 2x]]."""
    x = np.linspace(-2.0, 3.0, 7)
    second = Tape().derivative(course_case().function, x, 2)
    form = [f for f in course_case().closed_forms if f.order == 2][0]
    assert np.allclose(second, form.compute(x), rtol=1e-13)
    h = hessian_of(lambda v: v[0] * v[1] ** 2, np.array([0.5, 2.0]))
    assert np.allclose(h, [[0.0, 4.0], [4.0, 1.0]])


def test_a_first_order_backward_pass_records_nothing():
    x = Var(np.array([0.5, 1.5]))
    grads = backward(total(x * x), 1.0)
    assert not isinstance(grads[id(x)], Var)
    recorded = backward(total(x * x), 1.0, create_graph=True)[id(x)]
    assert isinstance(recorded, Var) and recorded.parents


def test_deep_graph_does_not_recurse():
    x = Var(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    assert backward(y, 1.0)[id(x)] == pytest.approx(1.0001**5000)


def test_a_discarded_tape_is_freed_at_once():
    """No reference cycles: a dropped recording frees its arrays without the cyclic collector."""
    import gc
    import weakref

    from lab.backends.tape import exp, logaddexp, sqrt, tanh

    gc.disable()
    try:
        x = Var(np.array([0.5, 1.5]))
        nodes = [exp(x), tanh(x), sqrt(x), 1 / x]  # each one's vjp uses the node itself
        out = total(logaddexp(nodes[0], nodes[1]) * nodes[2] * nodes[3])
        alive = [weakref.ref(n) for n in (*nodes, out)]
        del nodes, out
        assert all(ref() is None for ref in alive)
    finally:
        gc.enable()
