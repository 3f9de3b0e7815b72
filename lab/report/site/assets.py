"""The site's static files: its style sheet, its own few lines of JavaScript (sortable tables,
opening the folded section a link points to) and plotly.js, copied from the plotly package so
that the pages work from file:// without a network."""

from __future__ import annotations

from pathlib import Path

PLOTLY_JS = "plotly.min.js"
SITE_JS = "site.js"
SITE_CSS = "site.css"

CSS = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 1.2em 3em;
       line-height: 1.45; color: #222; }
nav { border-bottom: 1px solid #ccc; padding: .6em 0; font-size: .92em; }
nav a { margin-right: .9em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .88em; }
th, td { border: 1px solid #ddd; padding: .2em .5em; text-align: left; vertical-align: top;
         max-width: 36em; overflow-wrap: anywhere; }
th { background: #f3f3f3; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[aria-sort="ascending"]::after { content: " ▲"; }
table.sortable th[aria-sort="descending"]::after { content: " ▼"; }
details { margin: .3em 0; }
details > summary { cursor: pointer; }
details:target, section:target { outline: 2px solid #3a6fd8; }
table.heatmap td { text-align: center; padding: 0; min-width: 4.2em; }
table.heatmap td a { display: block; padding: .25em .3em; color: #111; text-decoration: none; }
table.heatmap th.row { text-align: left; white-space: nowrap; }
.figure { width: 100%; min-height: 420px; }
.legend-key span { display: inline-block; padding: 0 .5em; margin-right: .4em; }
img { max-width: 100%; }
code { background: #f5f5f5; padding: 0 .2em; }
pre { background: #f7f7f7; padding: .6em .9em; font-size: 1.05em; overflow-x: auto; }
"""

JS = """
"use strict";
// Sort a table by the clicked column: numbers by value (a cell's data-value if it has one),
// text otherwise; a second click reverses.
function cellValue(row, column) {
  const cell = row.cells[column];
  if (!cell) return "";
  const raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
  const number = Number(raw);
  return raw !== "" && !Number.isNaN(number) ? number : raw;
}
function sortBy(table, column, header) {
  const body = table.tBodies[0];
  const ascending = header.getAttribute("aria-sort") !== "ascending";
  const rows = Array.from(body.rows);
  rows.sort(function (a, b) {
    const x = cellValue(a, column), y = cellValue(b, column);
    let order;
    if (typeof x === "number" && typeof y === "number") order = x - y;
    else if (typeof x === "number") order = -1;
    else if (typeof y === "number") order = 1;
    else order = String(x).localeCompare(String(y));
    return ascending ? order : -order;
  });
  rows.forEach(function (row) { body.appendChild(row); });
  Array.from(header.parentElement.cells).forEach(function (th) { th.removeAttribute("aria-sort"); });
  header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
}
function makeSortable(table) {
  if (!table.tHead || !table.tBodies.length) return;
  table.classList.add("sortable");
  Array.from(table.tHead.rows[0].cells).forEach(function (th, column) {
    th.addEventListener("click", function () { sortBy(table, column, th); });
  });
}
// A link to a folded section (a heat-map cell) opens it and every fold around it.
function openTarget() {
  const id = decodeURIComponent(window.location.hash.slice(1));
  const target = id ? document.getElementById(id) : null;
  if (!target) return;
  for (let fold = target.closest("details"); fold; fold = fold.parentElement.closest("details")) {
    fold.open = true;
  }
  target.scrollIntoView();
}
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table:not(.heatmap)").forEach(makeSortable);
  openTarget();
});
window.addEventListener("hashchange", openTarget);
"""


def write_assets(site: Path) -> list[Path]:
    """Write the style sheet, the site's script and plotly.js into `site`; return their paths."""
    from plotly.offline import get_plotlyjs

    files = {SITE_CSS: CSS.lstrip(), SITE_JS: JS.lstrip(), PLOTLY_JS: get_plotlyjs()}
    for name, text in files.items():
        (site / name).write_text(text, encoding="utf-8")
    return [site / name for name in files]
