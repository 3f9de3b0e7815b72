"""JSON Schemas of what the commands print with --json (and `Result.to_json()` writes): one file
per schema name, `lab.check.json`, `lab.diff.json`; `load(name)` reads one."""

from __future__ import annotations

import json
from importlib.resources import files


def load(name: str) -> dict:
    """The JSON Schema of output whose `schema.name` is `name` (e.g. "lab.diff")."""
    return json.loads(files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8"))
