"""Small markdown helpers shared by the report pages (and by the benchmark summaries)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A markdown table; a `|` inside a cell is escaped so it cannot split the cell."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def scientific(value: float | None) -> str:
    """A float in two significant digits, scientific notation ("3.2e-14"); "–" for no value."""
    return "–" if value is None else f"{value:.1e}"


def vector(values, digits: int = 4) -> str:
    """A vector as "(0.1234, 0.5678)", `digits` decimals."""
    return "(" + ", ".join(f"{x:.{digits}f}" for x in values) + ")"


def span(low: float, high: float) -> str:
    """"0.5" when both ends print the same at 3 significant digits, else "0.49 to 0.51"."""
    a, b = f"{low:.3g}", f"{high:.3g}"
    return a if a == b else f"{a} to {b}"


def names(items: Iterable[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
