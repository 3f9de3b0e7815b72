"""The site's page of every cross-check row: the exceptions first, then one fold per exercise and
backend variant (the heat map's cells link to them), folded away where every row agrees."""

from __future__ import annotations

import html
import re
from collections import defaultdict

from lab.check.crosscheck import Row
from lab.output.markdown import scientific
from lab.report.crosscheck_pages import exceptions, verdict_counts

PAGE = "crosscheck.html"


def method(r: Row) -> str:
    """The backend variant a row belongs to, as the index's table names it."""
    return "closed forms" if r.backend == "closed_form" else f"{r.backend}.{r.variant}"


def group_id(exercise: str, name: str) -> str:
    """The HTML id of one exercise × method fold (letters, digits and dashes only)."""
    return "cell-" + re.sub(r"[^A-Za-z0-9]+", "-", f"{exercise}--{name}").strip("-")


def groups(rows: list[Row]) -> dict[tuple[str, str], list[Row]]:
    """(exercise, method) → its rows, in the order the rows came."""
    grouped: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in rows:
        grouped[(r.exercise, method(r))].append(r)
    return dict(grouped)


def ratio(r: Row) -> float | None:
    """ρ over the row's tolerance (how much of its allowance the row used), if both exist."""
    if r.max_error is None or not r.tolerance:
        return None
    return r.max_error / r.tolerance


def _cell(value: float | None) -> str:
    text = scientific(value)
    data = "" if value is None else f' data-value="{value!r}"'
    return f"<td{data}>{text}</td>"


def rows_table(rows: list[Row]) -> str:
    """An HTML table of rows; each <tr> carries its exercise and method as data attributes."""
    head = ("<thead><tr><th>case</th><th>method</th><th>order</th><th>max ρ</th><th>tolerance</th>"
            "<th>ρ / tolerance</th><th>verdict</th><th>detail</th></tr></thead>")
    body = []
    for r in rows:
        verdict = r.verdict + ("" if r.expected == "agree" and r.ok else
                               " (course erratum, as expected)" if r.ok else f" (expected {r.expected})")
        body.append(
            f'<tr data-exercise="{html.escape(r.exercise)}" data-method="{html.escape(method(r))}">'
            f"<td>{html.escape(r.case)}</td><td>{html.escape(method(r))}</td><td>{r.order}</td>"
            + _cell(r.max_error) + _cell(r.tolerance) + _cell(ratio(r))
            + f"<td>{'<strong>' if not r.ok else ''}{html.escape(verdict)}"
            f"{'</strong>' if not r.ok else ''}</td><td>{html.escape(r.detail)}</td></tr>")
    return f"<table>{head}<tbody>{''.join(body)}</tbody></table>\n"


def rows_page(rows: list[Row]) -> str:
    """The body of the every-row page."""
    odd = exceptions(rows)
    parts = [f"<h1>Cross-check: every row</h1>\n<p>{len(rows)} rows: {html.escape(verdict_counts(rows))}. "
             'The same rows as <a href="../crosscheck.md">crosscheck.md</a> and '
             '<a href="../crosscheck.csv">crosscheck.csv</a>.</p>\n',
             f"<h2>Exceptions ({len(odd)})</h2>\n",
             rows_table(odd) if odd else "<p>None: every row agrees.</p>\n",
             "<h2>By exercise and method</h2>\n<p>A fold is open when it holds an exception.</p>\n"]
    exercise = None
    for (x, name), mine in groups(rows).items():
        if x != exercise:
            parts.append(f"<h3>{html.escape(x)}</h3>\n")
            exercise = x
        opened = " open" if exceptions(mine) else ""
        parts.append(f'<details id="{group_id(x, name)}"{opened}><summary>{html.escape(name)}: '
                     f"{len(mine)} rows, {html.escape(verdict_counts(mine))}</summary>\n"
                     + rows_table(mine) + "</details>\n")
    return "".join(parts)
