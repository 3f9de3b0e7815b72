"""Helpers shared by the tests."""

from __future__ import annotations


def describe(rows) -> str:
    """The rows that are not as expected, one line each, for assertion messages."""
    return "\n".join(f"{r.case} {r.backend}.{r.variant} order {r.order}: {r.verdict} "
                     f"ρ={r.max_error} tol={r.tolerance} {r.detail}" for r in rows if not r.ok)
