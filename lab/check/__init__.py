"""The cross-check: every method against the certified reference (`crosscheck`), over the
exercises (`exercises`) or a typed expression (`diff`, `asking`).

The package is also what `lab.check(...)` calls: `import lab.check` makes `lab.check` this
module, so the module itself is callable and runs `lab.check.exercises.check`."""

import sys
import types


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from lab.check.exercises import check

        return check(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
