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
