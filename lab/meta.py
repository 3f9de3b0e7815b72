"""The lab's own name and version, as the installed distribution states them."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "difflab"


def lab_version() -> str:
    """The installed version of the distribution ("unknown" in a checkout that was not installed)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"
