"""JSON Schemas of what the commands print with --json (and `Result.to_json()` writes): one file
per schema name (`lab.check.json`, `lab.diff.json`, `lab.sd.inspect.json`, `lab.sd.safety.json`,
`lab.gradbench.check.json`, and `lab.bench.sweep.json` for the files `lab bench` writes);
`load(name)` reads one, `head(name)` starts an output that names it."""

from __future__ import annotations

import json
from importlib.resources import files

VERSION = 1  # of every schema above but the bench files' (whose layout lab.bench numbers)


def load(name: str) -> dict:
    """The JSON Schema of output whose `schema.name` is `name` (e.g. "lab.diff")."""
    return json.loads(files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8"))


def head(name: str, lab_version: str) -> dict:
    """The keys every --json output starts with: `schema` (name, version) and `lab_version`
    (`lab.meta.lab_version()`, passed in: this package sits below `lab.meta`'s layer)."""
    return {"schema": {"name": name, "version": VERSION}, "lab_version": lab_version}
