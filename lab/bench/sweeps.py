"""The benchmark sweeps: what each way of differentiating costs against evaluating the function,
and how that grows with size. A `Sweep` says what to time at each size; `run` times it into a
`SweepResult`; `check_targets` decides the performance targets from side-by-side runs.
`lab.bench.summary` writes the results."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
import torch
from jax.experimental import jet  # noqa: E402  (after jaxconfig)

from lab.backends import tape
from lab.backends.finite import Adaptive, Stencil, central_offsets
from lab.backends.jaxconfig import jax, jnp
from lab.backends.symbolic import compiled
from lab.bench.harness import Decision, Timing, compare, measure
from lab.core.arrays import namespace as array_namespace
from lab.core.cases import Function
from lab.exercises.polynomial import COURSE_COEFFICIENTS, X, course_polynomial, horner, power_rule
from lab.exercises.softmax import jacobian_closed_form, softmax, softmax_function

# (method, library, fn, args); library names the primal the ratio is taken against.
Job = tuple[str, str, Callable, tuple]


@dataclass(frozen=True)
class Sweep:
    """What one sweep times: its derivative jobs and its primals (the function itself) at a size."""

    name: str
    family: str  # the `lab bench --sweep` name that produces it
    title: str
    size_label: str
    jobs: Callable[[int], Iterator[Job]]
    primals: Callable[[int], Iterator[tuple[str, Callable, tuple]]] = lambda n: iter(())
    group: Callable[[int], str] = lambda n: ""  # the problem's shape where size alone hides it
    options: dict = field(default_factory=dict)  # measure() options
    describe: Callable[[Sequence[int]], list[str]] = lambda sizes: []  # notes computed from sizes
    figure: Callable[..., str] | None = None  # (result, out) -> PNG name, instead of summary.plot
    finish: Callable[[SweepResult], None] = lambda result: None  # adds notes/extra from the result

    def calls(self, size: int) -> dict[str, tuple[str, Callable, tuple]]:
        """method → (library, fn, args) at `size`, primals named 'primal (library)'."""
        found = {f"primal ({lib})": (lib, fn, args) for lib, fn, args in self.primals(size)}
        found.update({method: (lib, fn, args) for method, lib, fn, args in self.jobs(size)})
        return found


@dataclass
class TargetResult:
    """One performance target decided from side-by-side runs; `why` explains a miss with numbers."""

    sweep: str
    target: str
    numerator: str
    denominator: str
    size: int
    decision: Decision
    why: str = ""

    def as_json(self) -> dict:
        """The fields as a JSON-ready dict."""
        return {"sweep": self.sweep, "target": self.target, "numerator": self.numerator,
                "denominator": self.denominator, "size": self.size,
                "decision": self.decision.as_json(), "why": self.why}


@dataclass
class SweepResult:
    """A sweep's timings by method and size, its primals, and its targets' verdicts."""

    name: str
    title: str
    size_label: str
    family: str = ""
    timings: list[Timing] = field(default_factory=list)
    primal: dict[str, list[Timing]] = field(default_factory=dict)  # library -> primal timings
    library_of: dict[str, str] = field(default_factory=dict)  # method -> library
    groups: dict[int, str] = field(default_factory=dict)  # size -> problem shape, where it changes
    notes: list[str] = field(default_factory=list)
    targets: list[TargetResult] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # JSON-ready data a sweep's `finish` attaches

    def ratio(self, t: Timing) -> float | None:
        """derivative time / primal time, same library, same size (medians)."""
        base = self.primal_of(t)
        return t.median_s / base.median_s if base else None

    def primal_of(self, t: Timing) -> Timing | None:
        """The primal timing in t's library at t's size, if one was measured."""
        lib = self.library_of.get(t.method)
        return next((p for p in self.primal.get(lib, []) if p.size == t.size), None)

    def at(self, method: str, size: int) -> Timing | None:
        """The timing of `method` at `size` (primals as 'primal (library)')."""
        every = self.timings + [p for ps in self.primal.values() for p in ps]
        return next((t for t in every if t.method == method and t.size == size), None)


def run(sweep: Sweep, sizes: Sequence[int], advance: Callable[[], None] = lambda: None) -> SweepResult:
    """Time every job and primal of `sweep` at each size."""
    result = SweepResult(sweep.name, sweep.title, sweep.size_label, sweep.family)
    for size in sizes:
        result.groups[size] = sweep.group(size)
        for lib, fn, args in sweep.primals(size):
            result.primal.setdefault(lib, []).append(
                measure(f"primal ({lib})", size, fn, *args, library=lib, **sweep.options))
        for method, lib, fn, args in sweep.jobs(size):
            result.library_of[method] = lib
            result.timings.append(measure(method, size, fn, *args, library=lib, **sweep.options))
        advance()
    result.notes.extend(sweep.describe(sizes))
    sweep.finish(result)
    return result


# --- TensorFlow, HIPS autograd and torch.compile: loaded when a job of theirs is built -------------
def _tf():
    """lab.backends.tensorflow_ad, which imports TensorFlow (seconds) the first time."""
    return importlib.import_module("lab.backends.tensorflow_ad")


@functools.cache
def _tf_function(fn: Callable) -> Callable:
    """fn traced by tf.function, once per function; reduce_retracing generalizes the shapes when
    a second size arrives, so the sizes after it trace nothing."""
    return _tf().tf.function(fn, reduce_retracing=True)


@functools.cache
def _tf_gradient(loss: Callable) -> Callable:
    """∂loss(z, y)/∂z by one eager GradientTape."""
    tf = _tf().tf

    def grad(z, y):
        with tf.GradientTape() as tape:
            tape.watch(z)
            value = loss(z, y)
        return tape.gradient(value, z)

    return grad


def _tf_softmax_jacobian(z):
    return _tf().jacobian_of(softmax, z)


def _dynamic(a: np.ndarray) -> torch.Tensor:
    from lab.backends.torch_ad import dynamic_tensor

    return dynamic_tensor(a)


@functools.cache
def _torch_compiled(fn: Callable) -> Callable:
    """torch.compile(fn) as one graph; its first call compiles (quietly, see torch_ad.compiling)."""
    from lab.backends.torch_ad import compiling_first

    return compiling_first(torch.compile(fn, fullgraph=True), "a benchmark function")


@functools.cache
def _torch_compiled_gradient(loss: Callable) -> Callable:
    """∂loss(z, y)/∂z through the compiled loss: AOTAutograd compiles its backward pass with it."""
    from lab.backends.torch_ad import compiled, compiling_first

    forward = compiled(loss, "gradient", 1)

    def grad(z, y):
        t = z.detach().requires_grad_(True)
        return torch.autograd.grad(forward(t, y), t)[0]

    return compiling_first(grad, "the gradient")


# --- 1. polynomial derivatives --------------------------------------------------------------------
def _nested_torch(x: torch.Tensor, order: int) -> torch.Tensor:
    t = x.detach().requires_grad_(True)
    d = course_polynomial(t)
    for _ in range(order):
        (d,) = torch.autograd.grad(d.sum(), t, create_graph=True)
    return d.detach()


def _jax_nested(order: int):
    g = course_polynomial
    for _ in range(order):
        g = jax.grad(g)
    return jax.jit(jax.vmap(g))


def _jax_jet(order: int):
    def taylor(x):
        series = (jnp.ones_like(x),) + tuple(jnp.zeros_like(x) for _ in range(3))
        return jet.jet(course_polynomial, (x,), (series,))[1][order - 1]

    return jax.jit(taylor)


def at_every_point(g: Callable) -> Callable:
    """g's values as a float64 array shaped like its input. lambdify returns a bare number for a
    constant derivative (p0'''' = 24); a user asking for n points gets n values, so time that."""

    def values(x: np.ndarray) -> np.ndarray:
        v = np.asarray(g(x), dtype=np.float64)
        return v if v.shape == x.shape else np.broadcast_to(v, x.shape).copy()

    return values


def polynomial_jobs(order: int):
    """The order-k derivative of p0 at n points, every way."""
    expr = sp.expand(course_polynomial(X))
    coefficients = list(COURSE_COEFFICIENTS)
    for _ in range(order):
        coefficients = power_rule(coefficients)
    central = Stencil("central", central_offsets, 2)
    adaptive = Adaptive()
    fn = Function("p0", expr, (X,), course_polynomial)
    func = course_polynomial
    for _ in range(order):
        func = torch.func.grad(func)
    func = torch.func.vmap(func)

    def jobs(n: int) -> Iterator[Job]:
        x = np.linspace(-2.0, 3.0, n)
        t, j = torch.from_numpy(x), jnp.asarray(x)
        yield "closed form (Horner, numpy)", "numpy", lambda v: horner(coefficients, v), (x,)
        yield ("SymPy lambdify", "numpy", at_every_point(compiled(expr, (X,), "derivative", order)),
               (x,))
        yield "central FD", "numpy", lambda v: central.apply(course_polynomial, v, order, None), (x,)
        if order <= 2 and n <= 10**4:  # SciPy's adaptive differences: many evaluations per point
            yield "adaptive FD (scipy.differentiate)", "numpy", adaptive.derivative, (fn, x, order)
        yield "torch autograd (nested grad)", "torch", _nested_torch, (t, order)
        yield "torch.func vmap(grad^k)", "torch", func, (t,)
        yield "JAX jit(vmap(grad^k))", "jax", _jax_nested(order), (j,)
        if order > 1:
            yield "JAX jet (Taylor mode)", "jax", _jax_jet(order), (j,)
        yield from _polynomial_framework_jobs(x, order)
        yield from _other_tool_jobs(expr, (X,), "derivative", order, x, course_polynomial,
                                    numerical=n <= 10**4)

    return jobs


def _polynomial_framework_jobs(x: np.ndarray, order: int) -> Iterator[Job]:
    import autograd

    from lab.backends import autograd_ad, torch_ad

    tfad = _tf()
    tx = tfad.constant(x)
    yield ("TensorFlow GradientTape (nested)", "tensorflow",
           lambda v: tfad.nested_gradient(course_polynomial, v, order), (tx,))
    yield ("TensorFlow tf.function(nested tapes)", "tf.function",
           tfad.traced(course_polynomial, "derivative", order, (None,)), (tx,))
    yield ("autograd elementwise_grad^k", "numpy",
           autograd_ad.nested(autograd.elementwise_grad, course_polynomial, order), (x,))
    compiled = torch_ad.compiled(course_polynomial, "derivative", order)
    yield ("torch.compile(vmap(grad^k))", "torch.compile",
           torch_ad.compiling_first(compiled, f"the order-{order} derivative"), (_dynamic(x),))


def polynomial_primals(n: int):
    """p0 itself at n points in each library (compiled by each compiler)."""
    x = np.linspace(-2.0, 3.0, n)
    yield "numpy", course_polynomial, (x,)
    yield "torch", course_polynomial, (torch.from_numpy(x),)
    yield "jax", jax.jit(course_polynomial), (jnp.asarray(x),)
    yield from _framework_primals(course_polynomial, x)


def _framework_primals(fn: Callable, *args: np.ndarray):
    tfad = _tf()
    yield "tensorflow", fn, tuple(tfad.constant(a) for a in args)
    yield "tf.function", _tf_function(fn), tuple(tfad.constant(a) for a in args)
    yield "torch.compile", _torch_compiled(fn), tuple(_dynamic(a) for a in args)


def _other_tool_jobs(expr, variables: tuple, kind: str, order: int, points: np.ndarray,
                     program: Callable, numerical: bool) -> Iterator[Job]:
    """SymEngine and CasADi (interpreted and compiled to C) on the exact expression, and
    numdifftools on the program, computing `kind` at `points` as lab's backends do (a Jacobian at
    the one point given: points has one row). The derivative is built before timing starts, as
    SymPy's lambdify is: the rows time evaluation."""
    from lab.backends import casadi_sx, numdifftools_fd, symengine_sym
    from lab.errors import Unsupported

    def shaped(fn: Callable) -> Callable:
        """fn's values as a user receives them: every point's, or the one point's Jacobian."""
        def values(p):
            v = fn(p)
            v = getattr(v, "values", v)  # numdifftools also returns its error estimate
            return v if kind == "derivative" else v[0]

        return values

    yield ("SymEngine Lambdify", "numpy",
           shaped(symengine_sym.compiled(expr, variables, kind, order)), (points,))
    yield ("CasADi SX Function", "numpy",
           shaped(casadi_sx.compiled(expr, variables, kind, order)), (points,))
    try:
        yield ("CasADi SX, generated C", "numpy",
               shaped(casadi_sx.compiled(expr, variables, kind, order, codegen=True)), (points,))
    except Unsupported:  # no C compiler on this machine: the row is absent, the others stand
        pass
    if numerical:
        yield ("numdifftools (Richardson FD)", "numpy",
               shaped(functools.partial(numdifftools_fd.compiled(kind, order), program)), (points,))


# --- 2. softmax Jacobian --------------------------------------------------------------------------
def _write_floor(n: int):
    out = np.empty((n, n))
    out.fill(1.0)
    return out


def softmax_jobs(n: int) -> Iterator[Job]:
    """The n×n softmax Jacobian every way, and the cost of writing n×n numbers at all."""
    z = np.random.default_rng(0).normal(0.0, 3.0, n)
    t, j = torch.from_numpy(z), jnp.asarray(z)
    yield "write-floor (fill n×n)", "numpy", _write_floor, (n,)
    yield "closed form diag(p) − ppᵀ", "numpy", jacobian_closed_form, (z,)
    yield "torch.func jacrev", "torch", torch.func.jacrev(softmax), (t,)
    yield "torch.func jacfwd", "torch", torch.func.jacfwd(softmax), (t,)
    yield ("torch.autograd.functional.jacobian", "torch",
           lambda v: torch.autograd.functional.jacobian(softmax, v, vectorize=True), (t,))
    yield "JAX jit(jacrev)", "jax", jax.jit(jax.jacrev(softmax)), (j,)
    yield "JAX jit(jacfwd)", "jax", jax.jit(jax.jacfwd(softmax)), (j,)
    if n <= 256:
        central = Stencil("central", central_offsets, 2)
        yield "central FD", "numpy", lambda v: central.columns(softmax, v), (z,)
    tz = _tf().constant(z)
    yield "TensorFlow tape.jacobian", "tensorflow", _tf_softmax_jacobian, (tz,)
    yield "TensorFlow tf.function(tape.jacobian)", "tf.function", _tf_function(_tf_softmax_jacobian), (tz,)
    if n <= 1024:  # one backward pass per row, each through Python: n passes of O(n)
        import autograd

        yield "autograd jacobian", "numpy", autograd.jacobian(softmax), (z,)
    yield "torch.compile(jacrev)", "torch.compile", _torch_compiled(_SOFTMAX_JACREV), (_dynamic(z),)
    if n <= 64:  # the symbolic n×n Jacobian is built (untimed) in O(n²) expressions
        f = softmax_function(n)
        yield from _other_tool_jobs(f.expr, f.variables, "jacobian", 1, z[None], softmax,
                                    numerical=True)


_SOFTMAX_JACREV = torch.func.jacrev(softmax)  # one function object, so it compiles once


def softmax_primals(n: int):
    """Softmax itself of n logits in each library (compiled by each compiler)."""
    z = np.random.default_rng(0).normal(0.0, 3.0, n)
    yield "numpy", softmax, (z,)
    yield "torch", softmax, (torch.from_numpy(z),)
    yield "jax", jax.jit(softmax), (jnp.asarray(z),)
    yield from _framework_primals(softmax, z)


# --- 3. loss gradients for a batch ----------------------------------------------------------------
def _log_softmax_rows(z):
    xp = array_namespace(z)
    shifted = z - xp.max(z, axis=-1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))


def batch_ce(z, y):
    """Σ over the batch of −Σᵢ yᵢ log softmax(z)ᵢ."""
    xp = array_namespace(z)
    return -xp.sum(y * _log_softmax_rows(z))


def batch_se(z, y):
    """Σ over the batch of Σᵢ (softmax(z)ᵢ − yᵢ)²."""
    xp = array_namespace(z)
    return xp.sum((xp.exp(_log_softmax_rows(z)) - y) ** 2)


def _closed_ce(z, y):
    return np.exp(_log_softmax_rows(z)) - y


def _closed_se(z, y):
    p = np.exp(_log_softmax_rows(z))
    g = 2 * (p - y)
    return p * (g - np.sum(p * g, axis=-1, keepdims=True))


def _torch_grad(loss):
    def grad(z, y):
        t = z.detach().requires_grad_(True)
        return torch.autograd.grad(loss(t, y), t)[0]

    return grad


def _tape_grad(loss):
    def grad(z, y):
        v = tape.Var(z)
        return tape.backward(loss(v, y), 1.0)[id(v)]

    return grad


def classes(batch: int) -> int:
    """The course's 10-class example at batch 10; 1000 classes (ImageNet-sized) from batch 100."""
    return 1000 if batch >= 100 else 10


def loss_data(shape: tuple[int, int]):
    """Seeded logits and one-hot labels of the given (batch, classes) shape."""
    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 2.0, shape)
    y = np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
    return z, y


def loss_function(name: str) -> Callable:
    """batch_ce for 'CE', batch_se for 'SE'."""
    return batch_ce if name == "CE" else batch_se


def loss_jobs(name: str):
    """The gradient of the CE or SE loss of a batch w.r.t. its logits, every way."""
    loss, closed = (batch_ce, _closed_ce) if name == "CE" else (batch_se, _closed_se)

    def jobs(batch: int) -> Iterator[Job]:
        z, y = loss_data((batch, classes(batch)))
        t, ty = torch.from_numpy(z), torch.from_numpy(y)
        j, jy = jnp.asarray(z), jnp.asarray(y)
        yield f"closed form ({'p − y' if name == 'CE' else 'Jᵀ·2(p − y)'}, numpy)", "numpy", closed, (z, y)
        yield "tape (numpy reverse mode)", "numpy", _tape_grad(loss), (z, y)
        yield "tape, forward pass only (recording)", "numpy", lambda a, b: loss(tape.Var(a), b), (z, y)
        yield "torch autograd", "torch", _torch_grad(loss), (t, ty)
        yield "torch.func grad", "torch", torch.func.grad(loss), (t, ty)
        yield "JAX jit(grad)", "jax", jax.jit(jax.grad(loss)), (j, jy)
        yield "JAX grad, no jit", "jax", jax.grad(loss), (j, jy)
        yield from _loss_framework_jobs(loss, z, y)
        if z.size <= 2000:
            central = Stencil("central", central_offsets, 2)
            flat = z.reshape(-1)
            yield ("central FD", "numpy",
                   lambda v: central.columns(lambda w: loss(w.reshape(z.shape), y), v), (flat,))

    return jobs


def _loss_framework_jobs(loss: Callable, z: np.ndarray, y: np.ndarray) -> Iterator[Job]:
    import autograd

    tfad = _tf()
    tz, ty = tfad.constant(z), tfad.constant(y)
    yield "TensorFlow GradientTape", "tensorflow", _tf_gradient(loss), (tz, ty)
    yield "TensorFlow tf.function(GradientTape)", "tf.function", _tf_function(_tf_gradient(loss)), (tz, ty)
    yield "autograd grad", "numpy", autograd.grad(loss), (z, y)
    yield ("torch.compile (compiled forward + AOTAutograd backward)", "torch.compile",
           _torch_compiled_gradient(loss), (_dynamic(z), _dynamic(y)))


def loss_primals(name: str):
    """The CE or SE loss of a batch in each library (compiled by each compiler)."""
    loss = loss_function(name)

    def primals(batch: int):
        z, y = loss_data((batch, classes(batch)))
        yield "numpy", loss, (z, y)
        yield "torch", loss, (torch.from_numpy(z), torch.from_numpy(y))
        yield "jax", jax.jit(loss), (jnp.asarray(z), jnp.asarray(y))
        yield from _framework_primals(loss, z, y)

    return primals


def tape_footprint(name: str, batch: int) -> tuple[int, int]:
    """(values, bytes) the tape holds for the backward pass of the CE or SE loss at `batch`:
    every value reachable from the loss, the inputs included."""
    z, y = loss_data((batch, classes(batch)))
    sizes: dict[int, int] = {}
    stack = [loss_function(name)(tape.Var(z), y)]
    while stack:
        v = stack.pop()
        if id(v) not in sizes:
            sizes[id(v)] = v.value.nbytes
            stack.extend(p for p, _ in v.parents)
    return len(sizes), sum(sizes.values())


# --- 4. symbolic cost ------------------------------------------------------------------------------
def symbolic_jobs(kind: str):
    """SymPy diff + lambdify against expression size: a dense polynomial of degree n, or n nested
    compositions x ↦ x·sin(x + c) (whose derivative swells by the product rule)."""

    def expression(n: int) -> sp.Expr:
        if kind == "polynomial":
            return sum(sp.Rational(i + 1, i + 2) * X**i for i in range(n + 1))
        e = X
        for i in range(n):
            e = e * sp.sin(e + i + 1)
        return e

    def diff_and_lambdify(e):
        sp.core.cache.clear_cache()  # SymPy caches derivatives: time the work, not the cache
        return sp.lambdify(X, sp.diff(e, X), modules="numpy")

    def jobs(n: int) -> Iterator[Job]:
        e = expression(n)
        yield f"SymPy diff + lambdify ({kind})", "sympy", diff_and_lambdify, (e,)

    return jobs, expression


# --- the families `lab bench --sweep` names ---------------------------------------------------------
# Families defined in modules of their own: name → module whose `family(name, plan)` gives them.
MODULE_FAMILIES = {"modes": "lab.bench.modes", "swell": "lab.bench.swell"}


def family(name: str, plan: dict) -> list[tuple[Sweep, list[int]]]:
    """The sweeps of one `lab bench --sweep` name, each with its sizes, from a plan entry."""
    if name in MODULE_FAMILIES:
        return importlib.import_module(MODULE_FAMILIES[name]).family(name, plan)
    if name == "polynomial":
        return [(Sweep(f"polynomial_order{k}", name, f"Polynomial p0, derivative of order {k}",
                       "points", polynomial_jobs(k), polynomial_primals), plan["sizes"])
                for k in plan["orders"]]
    if name == "softmax_jacobian":
        return [(Sweep(name, name, "Softmax Jacobian (n×n)", "n", softmax_jobs, softmax_primals),
                 plan["sizes"])]
    if name == "loss_gradients":
        return [(Sweep(f"{loss.lower()}_gradient", name, f"{loss} gradient w.r.t. the logits of a "
                       "batch (10 classes at batch 10, 1000 classes from batch 100)", "batch",
                       loss_jobs(loss), loss_primals(loss), lambda b: f"{classes(b)} classes"),
                 plan["sizes"]) for loss in ("CE", "SE")]
    if name == "symbolic":
        return [(Sweep(f"symbolic_{kind}", name, f"SymPy diff + lambdify, {kind} expressions",
                       "degree" if kind == "polynomial" else "depth", symbolic_jobs(kind)[0],
                       options=dict(min_repeats=3, min_time=0.0, memory=False),
                       describe=_operation_counts(kind)), plan[key])
                for kind, key in (("polynomial", "sizes"), ("nested", "nested"))]
    raise KeyError(name)


def _operation_counts(kind: str) -> Callable[[Sequence[int]], list[str]]:
    expression = symbolic_jobs(kind)[1]
    return lambda sizes: ["Operation count of the derivative by size: " + ", ".join(
        f"{n}: {sp.count_ops(sp.diff(expression(n), X))}" for n in sizes)]


# --- performance targets ---------------------------------------------------------------------------
AD = ("torch", "JAX", "tape (", "TensorFlow", "autograd")


def _best_ad_vs_primal(r: SweepResult) -> tuple[str, str, int] | None:
    top = max(t.size for t in r.timings)
    ad = [t for t in r.timings if t.size == top and t.method.startswith(AD) and r.ratio(t)]
    best = min(ad, key=r.ratio, default=None)
    return None if best is None else (best.method, f"primal ({r.library_of[best.method]})", top)


def _tape_vs_closed(r: SweepResult) -> tuple[str, str, int]:
    top = max(t.size for t in r.timings)
    closed = next(t.method for t in r.timings if t.method.startswith("closed form"))
    return "tape (numpy reverse mode)", closed, top


def _best_vs_floor(r: SweepResult, n: int = 1024) -> tuple[str, str, int] | None:
    at = [t for t in r.timings if t.size == n and not t.method.startswith("write-floor")]
    best = min(at, key=lambda t: t.median_s, default=None)
    return None if best is None else (best.method, "write-floor (fill n×n)", n)


@dataclass(frozen=True)
class Target:
    """'numerator ≤ threshold × denominator', the two methods picked from a sweep's result."""

    sweep: str
    text: str  # formatted with size=
    threshold: float
    pick: Callable[[SweepResult], tuple[str, str, int] | None]


TARGETS = tuple(
    t for name in ("ce_gradient", "se_gradient") for t in (
        Target(name, name + ": best AD derivative/primal ratio ≤ 3 at batch {size}", 3.0,
               _best_ad_vs_primal),
        Target(name, name + ": tape within 2× of numpy's closed form at batch {size}", 2.0,
               _tape_vs_closed))
) + (Target("softmax_jacobian", "softmax Jacobian n = {size} within 2× of the write-floor", 2.0,
            _best_vs_floor),)


def targets_of(sweep_name: str) -> list[Target]:
    """The targets judged on the sweep of that name."""
    return [t for t in TARGETS if t.sweep == sweep_name]


def check_targets(sweep: Sweep, result: SweepResult, budget_s: float,
                  advance: Callable[[], None] = lambda: None) -> list[TargetResult]:
    """Decide each target of this sweep by timing its two methods side by side (see bench.compare);
    a target whose size was not measured is skipped."""
    decided = []
    for target in targets_of(sweep.name):
        picked = target.pick(result)
        if picked:
            decided.append(_decide(sweep, target, *picked, budget_s))
        advance()
    return decided


def _decide(sweep: Sweep, target: Target, numerator: str, denominator: str, size: int,
            budget_s: float) -> TargetResult:
    calls = sweep.calls(size)
    (_, fa, aa), (_, fb, ab) = calls[numerator], calls[denominator]
    decision = compare(lambda: fa(*aa), lambda: fb(*ab), target.threshold, budget_s)
    return TargetResult(sweep.name, target.text.format(size=size), numerator, denominator, size,
                        decision)
