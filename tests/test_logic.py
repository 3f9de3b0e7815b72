"""McCulloch-Pitts neurons: the sign step, named inputs, and the 16 boolean functions."""

import numpy as np
import pytest
import torch

from lab.exercises.logic import CORNERS, NAMES, MPNeuron, Sign, evaluate, realize_all, single_neuron


def test_sign_keeps_zero():
    x = torch.tensor([-3.14, 1e-6, 0.0, -0.0])
    assert Sign()(x).tolist() == [-1.0, 1.0, 0.0, 0.0]


def test_neurons_compose_by_name():
    net = torch.nn.Sequential(
        MPNeuron(weight_a=-1.0, weight_b=1.0, output_name="d"),
        MPNeuron(weight_b=1.0, weight_d=1.0, bias=1.0),
    )
    state = net({"a": torch.tensor([1.0]), "b": torch.tensor([-1.0])})
    assert set(state) == {"a", "b", "d", "out"}
    assert state["d"].item() == -1.0 and state["out"].item() == -1.0


def test_bad_neuron_arguments():
    with pytest.raises(TypeError, match="weight_"):
        MPNeuron(alpha=1.0)
    with pytest.raises(KeyError, match="b"):
        MPNeuron(weight_a=1.0, weight_b=1.0)({"a": torch.tensor([1.0])})


def test_every_function_is_computed_exactly():
    found = realize_all()
    assert len(found) == 16 and len({r.table for r in found}) == 16
    for r in found:
        assert evaluate(r.network, CORNERS[:, 0], CORNERS[:, 1]).tolist() == list(r.table), r.name


def test_counts_match_the_course():
    found = realize_all()
    non_constant = [r for r in found if not r.constant]
    assert len(non_constant) == 14
    assert len([r for r in non_constant if r.weights]) == 12
    assert sorted(r.name for r in found if r.weights is None) == ["XNOR", "XOR"]


def test_xor_is_proved_impossible_for_one_neuron():
    xor = next(t for t, n in NAMES.items() if n == "XOR")
    weights, status = single_neuron(xor)
    assert weights is None and status.startswith("infeasible")
    # A brute-force look at many weights agrees (a check of the LP, not the proof).
    rng = np.random.default_rng(0)
    for w in rng.normal(size=(2000, 3)):
        out = np.sign(CORNERS @ w[:2] + w[2])
        assert not np.array_equal(out, xor)


def test_found_weights_have_margin():
    for r in realize_all():
        if r.weights:
            w = np.array(r.weights)
            assert np.all(np.array(r.table) * (CORNERS @ w[:2] + w[2]) >= 1 - 1e-9)
