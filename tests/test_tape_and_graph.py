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


def _log_softmax_rows(z):
    xp = z.__array_namespace__() if isinstance(z, Var) else np
    shifted = z - xp.max(z, axis=-1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))


def test_batch_cross_entropy_gradient_and_hessian_match_the_closed_forms():
    """Through max along an axis (its position found in the backward pass), log Σ exp and the
    fan-in at the shifted logits: the gradient is p·Σy − y row by row, and the Hessian of one row's
    CE is Σy·(diag(p) − p pᵀ), the recorded backward pass included."""
    rng = np.random.default_rng(3)
    z, y = rng.normal(0.0, 2.0, (5, 4)), rng.dirichlet(np.ones(4), 5)
    z[0, 1] = z[0, 2] = z[0].max() + 1.0  # a tie for the maximum: the shift's gradient is 0 anyway
    p = np.exp(_log_softmax_rows(z))
    g = grad_of(lambda v: -total(y * _log_softmax_rows(v)), z)
    assert np.allclose(g, p * y.sum(axis=1, keepdims=True) - y, rtol=1e-13, atol=1e-15)
    row, weights = z[0], 2.0 * y[0]
    h = hessian_of(lambda v: -total(weights * _log_softmax_rows(v)), row)
    q = np.exp(_log_softmax_rows(row))
    assert np.allclose(h, weights.sum() * (np.diag(q) - np.outer(q, q)), rtol=1e-12, atol=1e-15)


def test_max_sends_the_adjoint_to_the_first_maximal_entry():
    z = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])
    w = np.array([2.0, 5.0])
    from lab.backends.tape import maximum_of

    along = grad_of(lambda v: total(w * maximum_of(v, axis=1)), z)
    assert np.array_equal(along, [[0.0, 2.0, 0.0], [5.0, 0.0, 0.0]])
    kept = grad_of(lambda v: total(w[:, None] * maximum_of(v, axis=-1, keepdims=True)), z)
    assert np.array_equal(kept, along)
    assert np.array_equal(grad_of(lambda v: 3.0 * maximum_of(v), z), [[0.0, 3.0, 0.0], [0.0, 0.0, 0.0]])


def test_repeated_indices_add_their_adjoints():
    x = np.array([1.0, 2.0, 3.0])
    g = grad_of(lambda v: total(v[np.array([0, 0, 1])] * np.array([1.0, 10.0, 100.0])) + total(v), x)
    assert np.array_equal(g, [12.0, 101.0, 1.0])


def test_subtraction_and_division_at_every_order():
    """f = (x − 3)/(x + 1) − 2/x = 1 − 4/(x + 1) − 2/x, differentiated one to three times."""
    x = np.array([0.5, 1.5, 4.0])
    f = course_case().function.__class__("f", None, (), lambda v: (v - 3.0) / (v + 1.0) - 2.0 / v)
    exact = {1: 4 / (x + 1) ** 2 + 2 / x**2, 2: -8 / (x + 1) ** 3 - 4 / x**3,
             3: 24 / (x + 1) ** 4 + 12 / x**4}
    for order, expected in exact.items():
        assert np.allclose(Tape().derivative(f, x, order), expected, rtol=1e-13), order


def test_the_tape_keeps_only_what_its_vjps_read():
    """x + 1 needs nothing for its vjp and 2·(x + 1) needs only the constant 2: once the program
    drops the sum, the tape does not keep its array alive."""
    import weakref

    x = Var(np.array([0.5, 1.5]))
    s = x + 1.0
    alive = weakref.ref(s.value)
    out = total(s * 2.0)
    del s
    assert alive() is None
    assert np.array_equal(backward(out, 1.0)[id(x)], [2.0, 2.0])


def test_adding_adjoints_in_place_leaves_inputs_seeds_and_live_adjoints_alone():
    """out = Σs + Σs² + Σx with s = 2x: ∂out/∂s = 1 + 2s and ∂out/∂x = 2(1 + 2s) + 1, while x, the
    seed and the adjoint handed back for s stay as they were."""
    x = Var(np.array([0.5, -1.0, 2.0]))
    s = x * 2.0
    out = total(s) + total(s * s) + total(x)
    seed = np.array(1.0)
    grads = backward(out, seed)
    assert np.array_equal(grads[id(s)], 1 + 2 * s.value)
    assert np.array_equal(grads[id(x)], 2 * (1 + 2 * s.value) + 1)
    assert np.array_equal(x.value, [0.5, -1.0, 2.0]) and seed == 1.0


@pytest.mark.parametrize("first", [True, False])
def test_an_adjoint_passed_to_two_parents_is_not_added_to_in_place(first):
    """a + b hands the same adjoint to a and b; a's other contribution must not change b's (in
    either order of the backward pass)."""
    a, b = Var(np.array([1.0, 2.0])), Var(np.array([3.0, 4.0]))
    terms = [total((a + b) * np.array([5.0, 7.0])), total(a * np.array([11.0, 13.0]))]
    out = terms[0] + terms[1] if first else terms[1] + terms[0]
    del terms
    grads = backward(out, 1.0)
    assert np.array_equal(grads[id(a)], [16.0, 20.0]) and np.array_equal(grads[id(b)], [5.0, 7.0])


@pytest.mark.parametrize("points", [[0.5], [0.5, -1.25]])
def test_higher_orders_at_one_point_and_at_several(points):
    """d³ sin/dx³ = −cos and d⁴ (x·sin x)/dx⁴ = x sin x − 4 cos x: a recorded pass keeps every
    adjoint the shape of its node, a single point included."""
    from lab.backends.tape import sin

    x = np.array(points)
    f = course_case().function.__class__("f", None, (), lambda v: v * sin(v))
    g = course_case().function.__class__("g", None, (), sin)
    assert np.allclose(Tape().derivative(g, x, 3), -np.cos(x), rtol=1e-14)
    assert np.allclose(Tape().derivative(f, x, 4), x * np.sin(x) - 4 * np.cos(x), rtol=1e-13)
