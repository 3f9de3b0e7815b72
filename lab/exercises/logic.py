"""McCulloch-Pitts neurons (homework exercise 1.2) and all 16 two-input boolean functions.

A neuron outputs sign(Σ wᵢxᵢ + bias) (−1, 0 or +1). Over inputs in {−1, +1}² a function is
realizable by one neuron iff some (w_a, w_b, bias) gives yₖ(w·xₖ + bias) ≥ 1 at all four corners —
a linear feasibility problem. `scipy.optimize.linprog` solves it; where it reports the problem
infeasible, no single neuron exists (the margin 1 loses nothing: any strict separator scales to it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linprog

CORNERS = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])  # (a, b)


class Sign(torch.nn.Module):
    """The step nonlinearity: +1 for positive, −1 for negative, 0 stays 0."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sign()


class MPNeuron(torch.nn.Module):
    """sign(Σ weight_x · x + bias) over named inputs. `MPNeuron(weight_a=1, weight_b=-1, bias=0.5)`
    reads inputs "a" and "b" from a dict of tensors and returns a copy with `output_name` added, so
    neurons chain in `torch.nn.Sequential`."""

    def __init__(self, bias: float = 0.0, output_name: str = "out", **weights: float):
        super().__init__()
        bad = [k for k in weights if not k.startswith("weight_") or len(k) == len("weight_")]
        if bad:
            raise TypeError(f"MPNeuron takes weight_<input> keywords, not {', '.join(bad)}")
        self.input_names = [k[len("weight_"):] for k in weights]
        self.output_name = output_name
        self.summation = torch.nn.Linear(len(weights), 1, dtype=torch.float64)
        self.activation = Sign()
        with torch.no_grad():
            self.summation.weight[0] = torch.tensor(list(weights.values()), dtype=torch.float64)
            self.summation.bias.fill_(bias)

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if self.output_name in inputs:
            raise ValueError(f"input already has an entry named {self.output_name!r}")
        missing = [n for n in self.input_names if n not in inputs]
        if missing:
            raise KeyError(f"missing inputs: {', '.join(missing)}")
        x = torch.stack([inputs[n].to(torch.float64) for n in self.input_names], dim=1)
        return {**inputs, self.output_name: self.activation(self.summation(x)[:, 0])}

    def extra_repr(self) -> str:
        return f"inputs={self.input_names}, output={self.output_name!r}"


# Outputs at the corners (a, b) = (−1,−1), (−1,+1), (+1,−1), (+1,+1); −1 is false, +1 true.
NAMES = {
    (-1, -1, -1, -1): "FALSE", (1, 1, 1, 1): "TRUE", (-1, -1, -1, 1): "AND", (-1, 1, 1, 1): "OR",
    (1, 1, 1, -1): "NAND", (1, -1, -1, -1): "NOR", (-1, 1, 1, -1): "XOR", (1, -1, -1, 1): "XNOR",
    (-1, -1, 1, 1): "A", (-1, 1, -1, 1): "B", (1, 1, -1, -1): "NOT A", (1, -1, 1, -1): "NOT B",
    (-1, -1, 1, -1): "A AND NOT B", (-1, 1, -1, -1): "NOT A AND B",
    (1, -1, 1, 1): "A OR NOT B", (1, 1, -1, 1): "NOT A OR B",
}


@dataclass(frozen=True)
class Realization:
    """How a boolean function is built: single-neuron weights, or why none exist and a network."""

    name: str
    table: tuple[int, ...]
    weights: tuple[float, float, float] | None  # (w_a, w_b, bias)
    lp_status: str
    network: torch.nn.Module

    @property
    def constant(self) -> bool:
        return len(set(self.table)) == 1


def single_neuron(table) -> tuple[tuple[float, float, float] | None, str]:
    """(w_a, w_b, bias) with yₖ(w·xₖ + bias) ≥ 1 at every corner, or None and linprog's verdict."""
    y = np.asarray(table, dtype=np.float64)
    a_ub = -y[:, None] * np.hstack([CORNERS, np.ones((4, 1))])
    res = linprog(np.zeros(3), A_ub=a_ub, b_ub=-np.ones(4), bounds=[(None, None)] * 3,
                  method="highs")
    if res.status == 2:
        return None, "infeasible: no (w_a, w_b, bias) separates the +1 corners from the −1 corners"
    if res.status != 0:
        raise RuntimeError(f"linprog failed: {res.message}")
    return tuple(float(v) for v in np.round(res.x, 9)), "feasible"


def neuron(weights, output_name: str = "out") -> MPNeuron:
    w_a, w_b, bias = weights
    return MPNeuron(weight_a=w_a, weight_b=w_b, bias=bias, output_name=output_name)


def two_layer(table) -> torch.nn.Module:
    """f = OR over the +1 corners of single-corner detectors (one hidden neuron per +1 corner)."""
    corners = [i for i, v in enumerate(table) if v == 1]
    hidden = []
    for j, i in enumerate(corners):
        detector = tuple(1 if k == i else -1 for k in range(4))
        hidden.append(neuron(single_neuron(detector)[0], output_name=f"h{j}"))
    or_weights = {f"weight_h{j}": 1.0 for j in range(len(corners))}
    return torch.nn.Sequential(*hidden, MPNeuron(bias=len(corners) - 1.0, **or_weights))


def realize_all() -> list[Realization]:
    """All 16 functions: single-neuron weights where the LP is feasible, two layers where not."""
    out = []
    for table, name in NAMES.items():
        weights, status = single_neuron(table)
        network = neuron(weights) if weights else two_layer(table)
        out.append(Realization(name, table, weights, status, network))
    return out


def evaluate(network: torch.nn.Module, a, b) -> np.ndarray:
    """The network's output for inputs a, b (arrays of the same shape)."""
    a = torch.as_tensor(np.asarray(a, dtype=np.float64)).reshape(-1)
    b = torch.as_tensor(np.asarray(b, dtype=np.float64)).reshape(-1)
    with torch.no_grad():
        return network({"a": a, "b": b})["out"].numpy().reshape(np.shape(a))
