"""Where lab keeps what it builds once and reuses: $LAB_CACHE, else ~/.cache/lab."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(name: str) -> Path:
    """The cache folder for `name` (not created here)."""
    return Path(os.environ.get("LAB_CACHE") or Path.home() / ".cache" / "lab") / name
