"""Backends that misbehave on purpose, for the tests of the worker processes: one blocks inside C,
one crashes its process, one eats memory, one compiles slowly. Each computes the right derivative
of a polynomial-free program where it computes at all (here: x**2 only, 2x)."""

from __future__ import annotations

import ctypes
import time
import weakref

import numpy as np

from lab.backends.base import Method

LIBC = ctypes.CDLL(None)


class Blocks(Method):
    """Sleeps in libc for ten minutes: no Python signal handler can interrupt it."""

    backend, variant = "sleepy", "block"

    def derivative(self, f, x, order):
        LIBC.sleep(600)
        return 2 * x


class Crashes(Method):
    """Reads address 0: the process dies of SIGSEGV."""

    backend, variant = "crashy", "segfault"

    def derivative(self, f, x, order):
        ctypes.string_at(0)
        return 2 * x


class Hungry(Method):
    """Touches 3 GiB."""

    backend, variant = "hungry", "allocate"

    def derivative(self, f, x, order):
        block = np.ones(3 * 1024**3 // 8)
        return 2 * x + 0 * block[0]


class SlowCompile(Method):
    """A compiling method whose first call on a function takes 3 s and the next ones none."""

    backend, variant, compiles = "slowjit", "jit", True
    compiled: weakref.WeakSet = weakref.WeakSet()

    def derivative(self, f, x, order):
        if f not in self.compiled:
            time.sleep(3)
            self.compiled.add(f)
        return 2 * np.asarray(x, dtype=np.float64)


METHODS = (Blocks(), Crashes(), Hungry(), SlowCompile())
