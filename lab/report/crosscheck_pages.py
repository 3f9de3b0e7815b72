"""Report sections built from cross-check rows: the index summary and the full table."""

from __future__ import annotations

from collections import defaultdict

from lab.crosscheck import Row
from lab.report.markdown import e, md_table


def cell(rows: list[Row]) -> str:
    """One summary cell: the verdict over the rows, their max ρ, and what was left out."""
    if not rows:
        return "–"
    bad = [r for r in rows if not r.ok]
    errata = [r for r in rows if r.expected != "agree" and r.ok]
    unsupported = sum(r.verdict == "unsupported" for r in rows)
    errors = [r.max_error for r in rows if r.max_error is not None and r.expected == "agree"]
    text = f"**{bad[0].verdict}**" if bad else "agree"
    if errors:
        text += f" {max(errors):.0e}"
    if unsupported:
        text += f" ({unsupported} unsupported)"
    if errata:
        text += f" ({len(errata)} erratum caught)"
    return text


def summary_table(rows: list[Row]) -> str:
    """backend variant × exercise -> verdict and max ρ."""
    exercises = list(dict.fromkeys(r.exercise for r in rows))
    grouped: dict[tuple[str, str], dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        key = (r.backend, "closed forms" if r.backend == "closed_form" else r.variant)
        grouped[key][r.exercise].append(r)
    body = [(f"{b}", v, *(cell(g[x]) for x in exercises)) for (b, v), g in grouped.items()]
    return md_table(["backend", "variant", *exercises], body)


def per_case_table(rows: list[Row]) -> str:
    return md_table(
        ["case", "backend", "variant", "order", "max ρ", "tolerance", "verdict"],
        [(r.case, r.backend, r.variant, r.order, e(r.max_error), e(r.tolerance),
          r.verdict + (" (course erratum)" if r.expected != "agree" else "")) for r in rows])


def notes(rows: list[Row]) -> str:
    lines = [f"- {r.case} · {r.backend}.{r.variant} order {r.order} — **{r.verdict}**: {r.detail}"
             for r in rows if r.detail]
    return "\n".join(dict.fromkeys(lines)) + "\n" if lines else ""
