"""The index's exercise × method heat map: each cell's colour is the worst ρ over tolerance of its
rows, its glyph the verdict, and it links to its rows on the every-row page."""

from __future__ import annotations

import html
import math

from lab.check.crosscheck import Row
from lab.output.markdown import scientific
from lab.report.crosscheck_pages import verdict_counts
from lab.report.site.rows import PAGE, group_id, groups, ratio

GLYPHS = {"bad": ("✗", "a row is not as expected"), "agree": ("✓", "every row as expected, some agree"),
          "none": ("–", "as expected, but no row agrees (unsupported, inaccurate, …)")}
LOW = 1e-4  # ρ/tolerance at or below this is drawn the lightest green


def judge(rows: list[Row]) -> tuple[str, float | None]:
    """A cell's state ("bad", "agree" or "none") and the worst ρ/tolerance among its rows that are
    expected to agree (a course erratum caught is far off by design, and counted apart)."""
    ratios = [x for x in map(ratio, (r for r in rows if r.expected == "agree")) if x is not None]
    worst = max(ratios, default=None)
    if any(not r.ok for r in rows):
        return "bad", worst
    return ("agree" if any(r.verdict == "agree" for r in rows) else "none"), worst


def colour(state: str, worst: float | None) -> str:
    """Red for a cell with a row not as expected, grey for no agreement, else green darkening
    from ρ/tolerance = LOW to yellow at 1 (on a log scale)."""
    if state == "bad":
        return "#e8544e"
    if state == "none" or worst is None:
        return "#d9d9d9"
    t = min(max((math.log10(max(worst, 1e-300)) - math.log10(LOW)) / -math.log10(LOW), 0.0), 1.0)
    red, green, blue = (int(a + (b - a) * t) for a, b in zip((198, 235, 180), (250, 204, 60), strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def _others(rows: list[Row]) -> str:
    """What a cell adds after its ratio: rows as expected but not agreeing (unsupported,
    inaccurate, …) and course errata caught, each counted."""
    other = sum(r.ok and r.expected == "agree" and r.verdict != "agree" for r in rows)
    errata = sum(r.ok and r.expected != "agree" for r in rows)
    return (f" <small>+{other} other</small>" if other else "") + (
        f" <small>{errata} erratum</small>" if errata else "")


def heatmap(rows: list[Row]) -> str:
    """The heat map as an HTML table (methods down, exercises across) with a key."""
    grouped = groups(rows)
    exercises = list(dict.fromkeys(x for x, _ in grouped))
    methods = list(dict.fromkeys(m for _, m in grouped))
    head = "".join(f"<th>{html.escape(x)}</th>" for x in exercises)
    lines = [f'<table class="heatmap" id="heatmap"><thead><tr><th>method</th>{head}</tr></thead><tbody>']
    for m in methods:
        cells = [f'<th class="row">{html.escape(m)}</th>']
        for x in exercises:
            mine = grouped.get((x, m))
            if not mine:
                cells.append('<td class="empty">·</td>')
                continue
            state, worst = judge(mine)
            glyph, meaning = GLYPHS[state]
            title = (f"{x} × {m}: {verdict_counts(mine)}; worst ρ/tolerance {scientific(worst)} "
                     f"({meaning})")
            cells.append(f'<td style="background:{colour(state, worst)}" data-state="{state}">'
                         f'<a href="{PAGE}#{group_id(x, m)}" title="{html.escape(title)}" '
                         f'data-exercise="{html.escape(x)}" data-method="{html.escape(m)}">'
                         f"{glyph} {scientific(worst)}{_others(mine)}</a></td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    key = " ".join(f'<span style="background:{colour(s, 1e-8 if s == "agree" else None)}">{g} {m}'
                   "</span>" for s, (g, m) in GLYPHS.items())
    return ("<p>Each cell: a glyph for the verdict over the exercise's rows for that method and the "
            "worst ρ / tolerance among them (below 1 agrees; the darker the green, the closer to "
            "its tolerance); “+n other” counts rows that are as expected without agreeing "
            "(unsupported, inaccurate, …) and “erratum” a course closed form caught disagreeing, "
            "as expected. A cell links to its rows.</p>\n"
            + "\n".join(lines) + f'\n<p class="legend-key">{key}</p>\n')
