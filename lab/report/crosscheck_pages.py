"""Report sections built from cross-check rows: the index summary, the full table, the notes."""

from __future__ import annotations

from collections import Counter, defaultdict

from lab.check.crosscheck import Row
from lab.core.compare import MAX_TOLERANCE, ROUNDING_ULPS, SAFETY, USEFUL
from lab.core.reference import PRECISIONS, RELATIVE_BITS
from lab.output.markdown import md_table, scientific


def verdict_counts(rows: list[Row]) -> str:
    """"12 agree, 3 unsupported": every verdict that occurs, with its count, most frequent first."""
    return ", ".join(f"{n} {v}" for v, n in Counter(r.verdict for r in rows).most_common())


def cell(rows: list[Row]) -> str:
    """One summary cell: the verdict over the rows, their max ρ, and what else happened.

    A row that is not as expected shows first, in bold; otherwise "agree" only if some row agreed,
    with the largest ρ of the rows that agreed, and every other verdict counted beside it (an
    erratum caught is a closed form from the course that disagrees, as it should)."""
    if not rows:
        return "–"
    bad = [r for r in rows if not r.ok]
    errata = [r for r in rows if r.expected != "agree" and r.ok]
    usual = [r for r in rows if r.expected == "agree"]
    errors = [r.max_error for r in usual if r.max_error is not None and r.verdict == "agree"]
    others = Counter(r.verdict for r in usual if r.verdict != "agree" and r.ok)
    if bad:
        text = f"**{bad[0].verdict}**"
    elif any(r.verdict == "agree" for r in usual):
        text = "agree"
    else:
        text = "no row agrees"
    if errors:
        text += f" {max(errors):.0e}"
    text += "".join(f" ({n} {v})" for v, n in others.most_common())
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
    """One line per row: case, method, order, max ρ, tolerance and verdict."""
    return md_table(
        ["case", "backend", "variant", "order", "max ρ", "tolerance", "verdict"],
        [(r.case, r.backend, r.variant, r.order, scientific(r.max_error), scientific(r.tolerance),
          _verdict(r)) for r in rows])


def _verdict(r: Row) -> str:
    if r.expected == "agree":
        return r.verdict
    # A course erratum is expected to disagree; say whether it did.
    return r.verdict + (" (course erratum, as expected)" if r.ok else
                        f" (course erratum: expected {r.expected})")


def notes(rows: list[Row]) -> str:
    """The rows' details (where a row disagreed, why a method could not), each once."""
    lines = [f"- {r.case} · {r.backend}.{r.variant} order {r.order} — **{r.verdict}**: {r.detail}"
             for r in rows if r.detail]
    return "\n".join(dict.fromkeys(lines)) + "\n" if lines else ""


def rows_summary(rows: list[Row]) -> str:
    """One sentence on a group of rows: how many, their verdicts, and how many are unexpected."""
    if not rows:
        return "No rows."
    bad = [r for r in rows if not r.ok]
    return (f"{len(rows)} rows: {verdict_counts(rows)}; "
            + (f"**{len(bad)} not as expected**." if bad else "every one as expected."))


def agreement(rows: list[Row], subject: str) -> str:
    """A sentence saying whether `subject` (the methods of these rows) agreed with the exact
    reference in this run: "… agree …" only when every row's verdict is agree."""
    if not rows:
        return f"{subject}: not checked in this run."
    if all(r.verdict == "agree" for r in rows):
        worst = max((r.max_error for r in rows if r.max_error is not None), default=None)
        every = "its one row agrees" if len(rows) == 1 else f"all {len(rows)} of its rows agree"
        return f"Against the exact reference, {subject}: {every} (max ρ = {scientific(worst)})."
    return (f"Against the exact reference, {subject}: not every row agrees ({verdict_counts(rows)}).")


def tolerance_policy(rows: list[Row]) -> str:
    """How the reference is certified and the verdicts decided (the constants of lab.core), with
    what this run's rows show of it."""
    checked = [r for r in rows if r.tolerance is not None]
    widest = max(checked, key=lambda r: r.tolerance) if checked else None
    inaccurate = [r for r in rows if r.verdict == "inaccurate"]
    return (
        "## How the verdicts are decided\n\n"
        "- **Reference**: SymPy's derivative of the smooth branch the function as written follows at "
        "the point, enclosed by ball arithmetic (arb) at "
        f"{', '.join(map(str, PRECISIONS))} bits until the enclosure's relative width is below "
        f"2⁻{RELATIVE_BITS} (or its absolute width below float64's smallest subnormal); branches of "
        "abs, sign, relu, max and min are decided exactly, and at a kink the derivative exists when "
        "the one-sided derivatives agree. A point where the function as written is undefined, or "
        "its derivative does not exist, is `undefined`; one beyond float64 is `overflow`; one not "
        "enclosed within the ladder or the time budget is `uncertified` or `timeout`.\n"
        "- **Expected error** of each method at each value, in units of ρ: exact and AD methods "
        f"ε·(κ + {ROUNDING_ULPS:g}), where κ is the value's condition (how far one rounding of the "
        "inputs and constants moves the exact derivative) and the constant allows a few ulps of "
        "the method's own rounding; a stencil of accuracy O(hᵃ) for order k "
        "(Σ|wⱼ| + 1)·ε^(a/(a+k))·max(1, |f|)/max(1, |f⁽ᵏ⁾|) + its Richardson estimate of truncation "
        "+ ε·κ; SciPy's adaptive differences their own error estimate, no better than a central "
        "difference's.\n"
        f"- A value **agrees** when ρ ≤ {SAFETY:g} × its expected error; a method whose expected "
        f"error exceeds {USEFUL:g} is **inaccurate** there, never `agree`. So no tolerance exceeds "
        f"{MAX_TOLERANCE:g}, far below ρ's maximum of 1.\n"
        + (f"- In this run: the widest tolerance any row was held to is {widest.tolerance:.1e} "
           f"({widest.case}, {widest.backend}.{widest.variant}, order {widest.order}); "
           if widest else "- In this run no row was held to a tolerance; ")
        + f"{len(inaccurate)} row(s) are `inaccurate`"
        + (": " + ", ".join(sorted({f"{r.backend}.{r.variant} order {r.order}" for r in inaccurate}))
           if inaccurate else "") + ".\n")


def exceptions(rows: list[Row]) -> list[Row]:
    """The rows worth reading first: not as expected, or with a verdict other than agree."""
    return [r for r in rows if not r.ok or r.verdict != "agree"]


def page_rows(rows: list[Row]) -> str:
    """A page's rows section: the summary sentence, then only the exceptions (with their notes);
    every row is in crosscheck.md and crosscheck.csv."""
    odd = exceptions(rows)
    agreeing = len(rows) - len(odd)
    text = rows_summary(rows) + "\n\n"
    if odd:
        text += (f"Exceptions ({len(odd)}; the {agreeing} row{'' if agreeing == 1 else 's'} that "
                 "agree are in [every row](crosscheck.md)):\n\n" + per_case_table(odd) + "\n"
                 + notes(odd))
    elif rows:
        text += f"No exceptions; all {agreeing} rows are in [every row](crosscheck.md).\n"
    return text


CSV_COLUMNS = ("exercise", "case", "backend", "variant", "family", "kind", "order", "max_error",
               "tolerance", "verdict", "expected", "ok", "detail")


def rows_csv(rows: list[Row]) -> str:
    """Every row as CSV (one line per row, the columns of CSV_COLUMNS; empty for no value)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v
                         for v in (getattr(r, c) for c in CSV_COLUMNS)])
    return buffer.getvalue()
