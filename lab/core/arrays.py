"""The array-API namespace a program gets for its input, whatever library the input belongs to.

`array_api_compat.array_namespace` knows numpy, torch, JAX and every type with
`__array_namespace__` (the lab's tape and forward mode). TensorFlow tensors and HIPS autograd's
boxes have neither, so they get their library's numpy-like module instead: `tf.experimental.numpy`
and `autograd.numpy`. Both are recognised by the module their type is defined in, so this module
imports neither library (TensorFlow takes seconds to import); a tensor of either exists only once
its library is loaded.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from array_api_compat import array_namespace

# library → (prefix of its array types' modules, its numpy-like namespace)
FOREIGN = {
    "tensorflow": ("tensorflow.", "tensorflow.experimental.numpy"),
    "autograd": ("autograd.", "autograd.numpy"),
}


def foreign_library(x) -> str | None:
    """'tensorflow' for a TF tensor or variable (eager or traced), 'autograd' for an autograd box,
    None for anything else."""
    module = type(x).__module__
    for library, (prefix, _) in FOREIGN.items():
        if module.startswith(prefix) and library in sys.modules:
            return library
    return None


def namespace(*xs) -> ModuleType:
    """The namespace whose functions (exp, log, sum, max, abs, logaddexp, zeros_like, asarray …)
    compute on arrays like `xs`: array_api_compat's for the libraries it knows, the numpy-like
    module of TensorFlow or autograd for theirs, and `lab.core.traced`'s for SymPy symbols (how a
    user's program is turned into its exact expression)."""
    from lab.core import traced

    if any(traced.is_symbolic(x) for x in xs):
        return traced.NAMESPACE
    for x in xs:
        library = foreign_library(x)
        if library is not None:
            return importlib.import_module(FOREIGN[library][1])
    return array_namespace(*xs)


__all__ = ["FOREIGN", "foreign_library", "namespace"]
