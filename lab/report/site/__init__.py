"""The report as a static HTML site (`site/` beside the markdown), written from the same results
and the same computed sentences: each markdown page rendered to HTML, its figures made interactive
(plotly, bundled), the index opening on an exercise × method heat map whose cells link to their
rows, every table sortable, exceptions first and agreeing rows folded. It needs no network: open
site/index.html from the disk."""

from __future__ import annotations

import html
import re
from pathlib import Path

from lab.report.results import Results
from lab.report.site.assets import write_assets
from lab.report.site.charts import CHARTS, chart_html
from lab.report.site.heatmap import heatmap
from lab.report.site.layout import html_name, render, shell
from lab.report.site.rows import PAGE, rows_page

HEATMAP_TOKEN = "HEATMAP-GOES-HERE"  # where the index's markdown table stands in the site


def write_site(results: Results, pages: dict[str, tuple[str, str]], site: Path) -> list[Path]:
    """Write the site into `site` (created): `pages` maps each markdown file to (title, its text);
    "README.md" is the index, its exercise × method table replaced by HEATMAP_TOKEN."""
    site.mkdir(parents=True, exist_ok=True)
    written = write_assets(site)
    names = set(pages) | {"crosscheck.md"}
    nav = [("index.html", "Index"), *((html_name(n), t) for n, t in
                                      ((n, t) for n, (t, _) in pages.items() if n != "README.md")),
           (PAGE, "Every row")]
    for name, (title, text) in pages.items():
        body = render(text, names)
        if name == "README.md":
            body = body.replace(f"<p>{HEATMAP_TOKEN}</p>", heatmap(results.rows))
        body, charts = _charts(body, results)
        written.append(_write(site / html_name(name), shell(title, body, nav, charts)))
    written.append(_write(site / PAGE, shell("Cross-check: every row", rows_page(results.rows), nav)))
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


_IMAGE = re.compile(r'<p><img src="\.\./([^"/]+\.png)" alt="([^"]*)" */?></p>')


def _charts(body: str, results: Results) -> tuple[str, bool]:
    """Each PNG that has an interactive version replaced by it, the PNG linked below; and whether
    the page now draws any chart."""
    drawn = []

    def replace(match: re.Match) -> str:
        png, alt = match[1], match[2]
        fig = CHARTS[png](results) if png in CHARTS else None
        if fig is None:
            return match[0]
        drawn.append(png)
        div = "chart-" + re.sub(r"[^A-Za-z0-9]+", "-", png.removesuffix(".png"))
        return (f'<div class="figure" data-figure="{html.escape(png)}">'
                + chart_html(fig, div) + f'</div>\n<p>Static figure: <a href="../{png}">'
                f"{html.escape(alt)} ({html.escape(png)})</a></p>")

    return _IMAGE.sub(replace, body), bool(drawn)
