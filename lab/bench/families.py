"""The sweep families `lab bench --sweep` names, in one static table, and their quick and full plans.
Adding a backend to every sweep needs nothing here: each sweep runs every registry method (or the
registry backends it names), so the backend's module and its registry entries are enough."""

from __future__ import annotations

from collections.abc import Callable

from lab.bench import gradbench_sizes, loss_gradients, modes, polynomial, softmax_jacobian, swell, symbolic
from lab.bench.runner import Sweep

Family = Callable[[dict], list[tuple[Sweep, list[int]]]]
FAMILIES: dict[str, Family] = {
    "polynomial": polynomial.family,
    "softmax_jacobian": softmax_jacobian.family,
    "loss_gradients": loss_gradients.family,
    "symbolic": symbolic.family,
    "modes": modes.family,
    "swell": swell.family,
    "gradbench": gradbench_sizes.family,
}
QUICK = {
    "polynomial": dict(sizes=[10**2, 10**4, 10**6], orders=(1, 4)),
    "softmax_jacobian": dict(sizes=[16, 64, 256, 1024]),
    "loss_gradients": dict(sizes=[10, 100, 1000]),
    "symbolic": dict(sizes=[2, 8, 32, 64], nested=[1, 2, 4, 6]),
    "modes": dict(total=1024, outputs=[1, 4, 32, 256, 1024]),  # n = total/m
    "swell": dict(nested=list(range(1, 11)), loop=list(range(1, 11)), cap_s=5.0),
    "gradbench": dict(lse=gradbench_sizes.LSE_SIZES[:4], llsq=gradbench_sizes.LLSQ_SIZES[:6]),
}
FULL = {
    "polynomial": dict(sizes=[10**2, 10**3, 10**4, 10**5, 10**6, 10**7], orders=(1, 2, 3, 4)),
    "softmax_jacobian": dict(sizes=[16, 64, 256, 1024, 4096]),
    "loss_gradients": dict(sizes=[10, 100, 1000, 10000]),
    "symbolic": dict(sizes=[2, 8, 32, 64, 128, 256], nested=[1, 2, 4, 6, 8, 10]),
    "modes": dict(total=4096, outputs=[1, 4, 16, 64, 256, 1024, 4096]),
    "swell": dict(nested=list(range(1, 15)), loop=list(range(1, 15)), cap_s=5.0),
    "gradbench": dict(lse=gradbench_sizes.LSE_SIZES, llsq=gradbench_sizes.LLSQ_SIZES, cap_s=30.0),
}


def family(name: str, plan: dict) -> list[tuple[Sweep, list[int]]]:
    """The sweeps of one `lab bench --sweep` name, each with its sizes, from its plan entry."""
    return FAMILIES[name](plan)
