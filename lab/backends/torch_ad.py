"""PyTorch: torch.autograd (nested `grad` with create_graph, as the course does it),
torch.func (composable jacrev / jacfwd / hessian, vmapped over points) and torch.compile."""

from __future__ import annotations

import contextlib
import functools
import logging
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch import func as tf

from lab.backends.base import Method, Vectorized
from lab.core.cases import Function
from lab.errors import Unsupported


def tensor(x: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
    """A float64 CPU tensor holding a copy of x."""
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A float64 numpy copy; `+ 0` turns the ZeroTensor autograd returns for a derivative that is
    identically zero (the second derivative of |x|) into an ordinary one."""
    return (t.detach() + 0).cpu().numpy().astype(np.float64)


class Autograd(Method):
    """torch.autograd: k-th derivatives by differentiating the (k−1)-th again (create_graph=True);
    the sum trick ∂(Σᵢ f(xᵢ))/∂xᵢ = f'(xᵢ) gives every point's derivative in one backward pass."""

    backend, variant = "torch", "autograd"

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        t = tensor(x, requires_grad=True)
        d = f.program(t)
        for _ in range(order):
            if not d.requires_grad:  # the previous derivative was constant: the next one is 0
                return np.zeros_like(x)
            (d,) = torch.autograd.grad(d.sum(), t, create_graph=True, materialize_grads=True)
        return to_numpy(d)

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        t = tensor(x, requires_grad=True)
        (g,) = torch.autograd.grad(f.program(t), t)
        return to_numpy(g)

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(torch.autograd.functional.jacobian(f.program, tensor(x)))

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(torch.autograd.functional.hessian(f.program, tensor(x)))


class Func(Method):
    """torch.func in reverse mode (jacrev) or forward mode (jacfwd); derivatives of order k are
    the transform applied k times to the scalar function, then vmapped over the points."""

    backend = "torch"

    def __init__(self, mode: str):
        self.variant = f"func.{mode}"
        self.transform: Callable = tf.jacrev if mode == "jacrev" else tf.jacfwd

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        g = f.program
        for _ in range(order):
            g = self.transform(g)
        return to_numpy(tf.vmap(g)(tensor(x)))

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(self.transform(f.program)(tensor(x)))

    def jacobian(self, f: Function, x: np.ndarray) -> np.ndarray:
        return to_numpy(self.transform(f.program)(tensor(x)))

    def hessian(self, f: Function, x: np.ndarray) -> np.ndarray:
        # jacrev: reverse over reverse; jacfwd: torch.func.hessian, forward over reverse.
        h = tf.jacrev(tf.jacrev(f.program)) if self.transform is tf.jacrev else tf.hessian(f.program)
        return to_numpy(h(tensor(x)))


# Every program compiled in a process shares the code object of torch.func's wrappers, so Dynamo's
# per-code recompile limit would be hit after a few programs and the rest would silently run
# uncompiled; the limit is raised, and reaching it anyway fails loudly.
_DYNAMO = dict(recompile_limit=64, accumulated_recompile_limit=4096, fail_on_recompile_limit_hit=True)
_COMPILER = ("torch/_dynamo/", "torch/_inductor/", "torch/_functorch/_aot_autograd/")


@functools.lru_cache(maxsize=512)
def compiled(program: Callable, kind: str, order: int) -> Callable:
    """torch.compile (inductor, the default backend; one graph, no breaks) of what computes `kind`:
    the program itself for gradients (AOTAutograd compiles its backward with it), else the
    torch.func transform vmapped over points: grad applied k times for k-th derivatives, jacrev for
    Jacobians, jacrev of jacrev for Hessians (jacfwd inside a compiled graph trips an internal
    assert). The callers mark the number of points dynamic, so one compilation serves every number
    of points where Dynamo would otherwise compile again on the second one it sees; the point's
    own size stays static (a symbolic one breaks jacrev of jacrev)."""
    if kind == "gradient":
        g = program
    elif kind == "derivative":
        g = program
        for _ in range(order):
            g = tf.grad(g)
        g = tf.vmap(g)
    else:
        g = tf.vmap(tf.jacrev(program) if kind == "jacobian" else tf.jacrev(tf.jacrev(program)))
    return torch.compile(g, fullgraph=True)


@contextlib.contextmanager
def compiling(what: str) -> Iterator[None]:
    """Run compiled code: the Dynamo settings above, its notices kept off the terminal (it warns
    about array_api_compat's lru_cache helpers, inductor that no CUDA runtime exists, torch's
    modules about each other's deprecations), and a failure inside the compiler turned into
    `Unsupported` with the compiler's own words; errors of the program itself propagate unchanged."""
    quiet = [logging.getLogger("torch.utils.cpp_extension")]
    levels = [q.level for q in quiet]
    try:
        with warnings.catch_warnings(), torch._dynamo.config.patch(**_DYNAMO):
            warnings.filterwarnings("ignore", "Dynamo detected a call to a `functools.lru_cache`")
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.")
            for q in quiet:
                q.setLevel(logging.ERROR)
            yield
    except Exception as e:
        if not _raised_by_compiler(e):
            raise
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        words = " ".join(lines[:2])[:300]
        if "from_numpy" in words:  # name the cause the compiler's words only hint at
            words = f"Dynamo's guard on a numpy array the program holds fails ({words})"
        raise Unsupported(f"torch.compile could not compile {what}: {words}") from e
    finally:
        for q, level in zip(quiet, levels, strict=True):
            q.setLevel(level)


def points_tensor(points: np.ndarray) -> torch.Tensor:
    """A float64 tensor of the points, their number marked dynamic for torch.compile ("maybe":
    a single point stays a static size 1)."""
    t = tensor(points)
    torch._dynamo.maybe_mark_dynamic(t, 0)
    return t


def dynamic_tensor(a: np.ndarray) -> torch.Tensor:
    """A float64 tensor of a (sharing its memory), every size marked dynamic for torch.compile, so
    that arrays of other sizes reuse the first compilation instead of compiling again."""
    t = torch.from_numpy(np.asarray(a, dtype=np.float64))
    for dim in range(t.ndim):
        torch._dynamo.maybe_mark_dynamic(t, dim)
    return t


def compiling_first(fn: Callable, what: str) -> Callable:
    """fn with its first call — the one that compiles — run within `compiling(what)`; later calls
    go straight to the compiled code, so that timing them times it alone."""
    first = [True]

    def call(*args):
        if not first:
            return fn(*args)
        with compiling(what):
            out = fn(*args)
        first.clear()
        return out

    return call


def _raised_by_compiler(e: Exception) -> bool:
    if isinstance(e, torch._dynamo.exc.TorchDynamoException):
        return True
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and any(part in tb.tb_frame.f_code.co_filename for part in _COMPILER)


def run_compiled(what: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """compute() within `compiling(what)`, once more after clearing Dynamo's caches if it hit the
    recompile limit: a long session (the regression suite, a long `lab diff` loop) compiles more
    programs through the same torch.func wrappers than any limit allows, and earlier programs'
    graphs are not needed again."""
    try:
        with compiling(what):
            return compute()
    except Unsupported as e:
        if "recompile_limit" not in str(e):
            raise
    torch._dynamo.reset()
    compiled.cache_clear()
    with compiling(what):
        return compute()


def _eager_once(f: Function, x: np.ndarray) -> None:
    """Run the program once outside the compiler: a generated program prepares its torch code on
    its first call, which Dynamo should not have to trace. Its errors show in the real call."""
    try:
        with torch.no_grad(), np.errstate(all="ignore"):
            f.program(tensor(x))
    except Exception:  # noqa: BLE001
        pass


class Compiled(Vectorized):
    """torch.compile with the inductor backend (C++ kernels from the system compiler on the CPU).
    Gradients: the compiled program's forward pass and the backward pass AOTAutograd compiles with
    it — how torch.compile trains a model. Derivatives, Jacobians, Hessians: the compiled torch.func
    transform, since a compiled backward cannot be differentiated again (AOTAutograd does not
    support double backward). Each program compiles once, on its first call. Dynamo fails on a
    transform of a program holding a numpy array (the CE Hessian's labels): `unsupported`."""

    backend, variant, compiles = "torch", "compile", True

    def derivative(self, f: Function, x: np.ndarray, order: int) -> np.ndarray:
        _eager_once(f, x[:1])
        return run_compiled(f"the order-{order} derivative", lambda: to_numpy(
            compiled(f.program, "derivative", order)(points_tensor(x))))

    def gradient(self, f: Function, x: np.ndarray) -> np.ndarray:
        _eager_once(f, x)

        def compute():
            t = tensor(x, requires_grad=True)
            (g,) = torch.autograd.grad(compiled(f.program, "gradient", 1)(t), t)
            return to_numpy(g)

        return run_compiled("the gradient", compute)

    def at_points(self, kind: str, f: Function, points: np.ndarray) -> np.ndarray:
        if kind == "gradient":  # one compiled forward and backward pass per point
            return super().at_points(kind, f, points)
        order = 2 if kind == "hessian" else 1
        _eager_once(f, points[0])
        return run_compiled(f"the {kind}", lambda: to_numpy(
            compiled(f.program, kind, order)(points_tensor(points))))


METHODS = (Autograd(), Func("jacrev"), Func("jacfwd"), Compiled())
