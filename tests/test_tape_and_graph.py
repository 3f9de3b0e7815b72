"""The numpy tape on its own, and the lecture's computation graph."""

import numpy as np
import pytest

from lab.backends import Unsupported
from lab.backends.tape import Tape, Var, backward, grad_of, total
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
    with pytest.raises(Unsupported, match="first derivatives only"):
        Tape().derivative(course_case().function, np.array([1.0]), 2)


def test_deep_graph_does_not_recurse():
    x = Var(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    assert backward(y, 1.0)[id(x)] == pytest.approx(1.0001**5000)
