"""Programs generated from a SymPy expression: what `lab diff` hands the backends.

SymPy's `lambdify` writes the same expression for numpy, torch, JAX and TensorFlow (its own
printers) and, through a table of functions, for HIPS autograd; TensorFlow's and autograd's are
written only once a TF tensor or an autograd box arrives, so neither library is imported otherwise.
The numpy tape and the Taylor forward mode run the expression through the one SymPy table of
`lab.backends.translate`, on the ops each registers where it defines them. Constant subexpressions
(sin(1), pi/2) are folded to float64 first: torch has no torch.sin for a Python number, and a
float64 program uses the nearest double of every constant anyway (the exact reference does not).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from array_api_compat import is_jax_array, is_torch_array

from lab.backends import tape, taylor, translate
from lab.core.arrays import foreign_library
from lab.core.cases import Condition, Function
from lab.core.symbolic import numpy_erf


def _library_functions(library: str) -> dict[str, Callable]:
    """What SymPy's printer for `library` names but the library lacks: numpy and JAX have no
    erf (SciPy's and jax.scipy's), and torch.max(0, x) refuses a Python number (Max prints as
    max)."""
    if library == "numpy":
        return {"erf": numpy_erf}
    if library == "jax":
        from jax.scipy.special import erf

        return {"erf": erf}
    if library == "torch":
        import torch

        def pairwise(name: str) -> Callable:
            def call(a, b):
                a, b = (t if torch.is_tensor(t) else torch.tensor(t, dtype=torch.float64) for t in (a, b))
                return getattr(torch, name)(a, b)

            return call

        return {"max": pairwise("maximum"), "min": pairwise("minimum")}
    return {}


# The lab's own AD: their programs are the expression translated through the one SymPy table
# (`lab.backends.translate`) into the ops each registers; a function it lacks is Unsupported.
IN_HOUSE = {"tape": ("the tape", tape.OPS), "taylor": ("forward mode", taylor.OPS)}


def folded(expr: sp.Expr) -> sp.Expr:
    """expr with every constant subexpression replaced by its float64 value."""
    return expr.replace(lambda e: e.is_number and not e.is_Atom or e in (sp.pi, sp.E),
                        lambda e: sp.Float(float(e), 17))


class _PerLibrary(dict):
    """expr lambdified for each kind of array a program may be given, each on first use: SymPy
    imports a library to lambdify for it, and a worker process should load only its own."""

    def __init__(self, variables: tuple[sp.Symbol, ...], expr: sp.Expr):
        super().__init__()
        self.variables, self.expr = variables, folded(expr)

    def __missing__(self, library: str) -> Callable:
        v, e = self.variables, self.expr
        if library in ("numpy", "torch", "jax"):
            made = sp.lambdify(v, e, modules=[_library_functions(library), library])
        elif library in IN_HOUSE:
            name, registry = IN_HOUSE[library]
            made = translate.program(e, v, translate.table(registry.get), name)
        elif library == "tensorflow":
            made = _tensorflow_program(v, e)
        else:
            made = sp.lambdify(v, e, modules=[_autograd_table(), "numpy"])
        self[library] = made
        return made


def _per_library(variables: tuple[sp.Symbol, ...], expr: sp.Expr) -> dict[str, Callable]:
    """expr lambdified once for each kind of array a program may be given (on first use)."""
    return _PerLibrary(variables, expr)


def _tensorflow_program(variables: tuple[sp.Symbol, ...], expr: sp.Expr) -> Callable:
    # SymPy's TensorFlow printer has no log1p or expm1, and in a traced graph tf.maximum(1, x)
    # makes the 1 an int32 that float64 x does not match.
    from lab.backends.tensorflow_ad import tf  # first: SymPy's printer imports TF less carefully

    # isort: split
    from sympy.printing.tensorflow import TensorflowPrinter

    class Printer(TensorflowPrinter):
        def _print_log1p(self, e):
            return f"log1p({self._print(e.args[0])})"

        def _print_expm1(self, e):
            return f"expm1({self._print(e.args[0])})"

    def pairwise(op: Callable) -> Callable:
        return lambda a, b: op(*(tf.cast(t, tf.float64) for t in (a, b)))

    table = {"log1p": tf.math.log1p, "expm1": tf.math.expm1,
             "maximum": pairwise(tf.math.maximum), "minimum": pairwise(tf.math.minimum)}
    # The settings lambdify gives the printers it makes itself: names unqualified, so that they
    # are looked up in the table first, then in TensorFlow.
    printer = Printer({"fully_qualified_modules": False, "inline": True,
                       "allow_unknown_functions": True, "user_functions": {k: k for k in table}})
    return sp.lambdify(variables, expr, modules=[table, "tensorflow"], printer=printer)


def _autograd_table() -> dict[str, Callable]:
    # Every name SymPy's numpy printer may write must be autograd's (numpy's own would not record
    # the operation on autograd's boxes); erf is SciPy's in both.
    import autograd.numpy as anp
    from autograd.scipy.special import erf

    return {**{k: v for k, v in vars(anp).items() if not k.startswith("_")}, "erf": erf}


def _library(x) -> str:
    return foreign_library(x) or (
        "torch" if is_torch_array(x) else "jax" if is_jax_array(x)
        else "tape" if isinstance(x, tape.Var) else "taylor" if isinstance(x, taylor.Jet)
        else "numpy")


def program_for(expr: sp.Expr, variable: sp.Symbol) -> Callable:
    """An array-API program computing expr(variable) elementwise with numpy, torch, jax, the tape
    or forward mode, whichever kind of array it is given."""
    compiled = _per_library((variable,), expr)

    def program(x):
        # + 0·x keeps a constant's result an array of x's kind, and in x's graph.
        return compiled[_library(x)](x) + 0 * x

    return program


def function_of(expr: sp.Expr, variable: sp.Symbol, name: str,
                domain: tuple[Condition, ...] = ()) -> Function:
    """The Function d/d`variable` is taken of: expr with every other variable already fixed."""
    return Function(name, expr, (variable,), program_for(expr, variable), _real_only(expr), domain)


def vector_program_for(expr: sp.Expr, variables: tuple[sp.Symbol, ...]) -> Callable:
    """An array-API program computing expr at a point v = (v₀, …, vₙ₋₁) of the `variables`, for
    whichever kind of array v is."""
    compiled = _per_library(variables, expr)

    def program(v):
        entries = [v[i] for i in range(len(variables))]
        # + 0·v₀ keeps a constant's result an array of v's kind, and in v's graph.
        return compiled[_library(v)](*entries) + 0 * entries[0]

    return program


def vector_function_of(expr: sp.Expr, variables: tuple[sp.Symbol, ...], name: str,
                       domain: tuple[Condition, ...] = ()) -> Function:
    """The Function whose gradient or Hessian over all `variables` is taken."""
    return Function(name, expr, variables, vector_program_for(expr, variables), _real_only(expr),
                    domain)


def _real_only(expr: sp.Expr) -> str:
    kinks = [f"{name}()" for name, node in (("abs", sp.Abs), ("sign", sp.sign), ("max", sp.Max),
                                            ("min", sp.Min)) if expr.has(node)]
    if kinks:
        return f"{', '.join(kinks)} {'is' if len(kinks) == 1 else 'are'} not complex-analytic"
    if any(p.exp.is_Integer and abs(p.exp) >= 100 for p in expr.atoms(sp.Pow)):
        # numpy multiplies out integer powers below 100 only; above, exp(n·log z) loses the step
        return ("numpy raises complex numbers to integer powers of 100 or more as exp(n·log z), "
                "which loses the step's imaginary part at negative bases")
    return ""
