"""DIR/index.html of a sweep (plot_sweep.py): one static page, no network needed (CSS and JS inline, the plots
beside it in DIR/plots/): the failed points with their messages, the notes of plots not drawn, the plots, and
the table of the points (every results.csv column), sortable by a click on a column's header and filtered
by terms: `text` (any cell contains it) or `column OP value` (OP one of = != < <= > >=; numbers compare as
numbers; `rows` names the column hardware.rows), all of which a row must match."""

import html
import math
import os

TABLES = ("results.csv", "layers.csv", "results.json")  # vp_sweep's, beside index.html (docs/sweeps.md)

STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ccc; }
figcaption { font-size: 0.85em; color: #555; }
table { border-collapse: collapse; font-size: 0.8em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; white-space: nowrap; }
th { background: #eee; cursor: pointer; position: sticky; top: 0; }
th.asc::after { content: " \\25B2"; } th.desc::after { content: " \\25BC"; }
tr.failed td { background: #fdd; }
.failed-list li, .notes li { margin: 0.2em 0; }
.filter { margin: 0.5em 0; } .filter input[type=text] { width: 40em; }
"""

# Pure functions first (the tests run them in node without a page), the page's wiring after them.
SCRIPT = r"""
"use strict";
function parseNumber(text) {
  const t = String(text).trim();
  return t !== "" && isFinite(Number(t)) ? Number(t) : null;
}
// Numbers compare as numbers, everything else as text; empty cells last in either direction.
function compareCells(a, b, descending) {
  if (a === "" || b === "") return (a === "") - (b === "");
  const x = parseNumber(a), y = parseNumber(b);
  return (descending ? -1 : 1) * (x !== null && y !== null ? x - y : String(a).localeCompare(String(b)));
}
const OPS = ["<=", ">=", "!=", "=", "<", ">"];
// A filter term: {column, op, value} or {text}.
function parseTerm(term) {
  for (let i = 1; i < term.length; ++i)
    for (const op of OPS)
      if (term.startsWith(op, i))
        return {column: term.slice(0, i).toLowerCase(), op: op, value: term.slice(i + op.length)};
  return {text: term.toLowerCase()};
}
function parseFilter(text) {
  return text.split(/\s+/).filter(t => t !== "").map(parseTerm);
}
function termMatches(term, cells, columns) {
  if (term.text !== undefined) return cells.some(c => String(c).toLowerCase().includes(term.text));
  // The column by its name, or by the last part of a dotted field path (rows for hardware.rows).
  let i = columns.findIndex(c => c.toLowerCase() === term.column);
  if (i < 0) i = columns.findIndex(c => c.toLowerCase().split(".").pop() === term.column);
  if (i < 0) return false;
  const cell = cells[i], x = parseNumber(cell), y = parseNumber(term.value);
  if (cell === "") return term.op === "!=" && term.value !== "";  // a missing value compares with nothing
  const d = x !== null && y !== null ? x - y : String(cell).localeCompare(term.value);
  return {"=": d === 0, "!=": d !== 0, "<": d < 0, "<=": d <= 0, ">": d > 0, ">=": d >= 0}[term.op];
}
function rowMatches(terms, cells, columns) {
  return terms.every(t => termMatches(t, cells, columns));
}
if (typeof document !== "undefined") {
  const table = document.getElementById("points");
  const columns = Array.from(table.tHead.rows[0].cells).map(th => th.textContent);
  const body = table.tBodies[0];
  const cellsOf = tr => Array.from(tr.cells).map(td => td.textContent);
  const filter = document.getElementById("filter"), failedOnly = document.getElementById("failed-only");
  const count = document.getElementById("shown");
  function applyFilter() {
    const terms = parseFilter(filter.value);
    let shown = 0;
    for (const tr of body.rows) {
      const show = rowMatches(terms, cellsOf(tr), columns) && (!failedOnly.checked || tr.classList.contains("failed"));
      tr.hidden = !show;
      shown += show;
    }
    count.textContent = shown + " of " + body.rows.length + " points shown";
  }
  filter.addEventListener("input", applyFilter);
  failedOnly.addEventListener("change", applyFilter);
  table.tHead.rows[0].addEventListener("click", e => {
    const th = e.target.closest("th");
    if (!th) return;
    const i = th.cellIndex, descending = th.classList.contains("asc");
    for (const h of th.parentNode.cells) h.classList.remove("asc", "desc");
    th.classList.add(descending ? "desc" : "asc");
    const rows = Array.from(body.rows);
    rows.sort((a, b) => compareCells(a.cells[i].textContent, b.cells[i].textContent, descending));
    for (const tr of rows) body.appendChild(tr);
  });
  applyFilter();
}
"""


def sweep_name(results):
    sweep = results.get("sweep")
    if isinstance(sweep, dict):
        sweep = sweep.get("name") or sweep.get("file")
    return str(sweep) if sweep else "sweep"


def cell_html(text):
    """A table cell: a number with a fraction shown to 6 significant digits (the exact text as its tooltip),
    anything else as it is."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not any(c in text for c in ".eE") or not math.isfinite(value):
        return f"<td>{html.escape(text)}</td>"
    return f'<td title="{html.escape(text)}">{value:.6g}</td>'


def write(path, results, plotter, columns, rows, failed):
    e = html.escape
    name = sweep_name(results)
    failed_ids = {p["id"] for p in failed}
    id_column = columns.index("id") if "id" in columns else None
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(name)}: sweep results</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
           f"<h1>{e(name)}</h1>",
           f"<p>{len(results['points'])} points, {len(results['points']) - len(failed)} passed, "
           f"{len(failed)} did not pass. Axes: {e(', '.join(map(str, results.get('axes') or [])) or 'none')}.</p>"]
    tables = [f for f in TABLES if os.path.exists(os.path.join(os.path.dirname(path), f))]
    if tables:
        out += ["<p>Tables: " + ", ".join(f'<a href="{f}">{f}</a>' for f in tables) + "</p>"]
    if failed:
        out += ["<h2>Points that did not pass (left out of the plots)</h2>", '<ul class="failed-list">']
        out += [f'<li><a href="#point-{e(p["id"])}">{e(p["id"])}</a> <b>{e(str(p.get("status")))}</b>: '
                f'{e(str(p.get("message") or ""))}</li>' for p in failed]
        out += ["</ul>"]
    problems = plotter.notes + plotter.failed
    if problems:
        out += ["<h2>Notes</h2>", '<ul class="notes">'] + [f"<li>{e(n)}</li>" for n in problems] + ["</ul>"]
    out += ["<h2>Plots</h2>"]
    for stem, title in plotter.written:
        out += [f'<figure><a href="plots/{e(stem)}.svg"><img src="plots/{e(stem)}.svg" alt="{e(title)}"></a>'
                f'<figcaption>{e(title)} (<a href="plots/{e(stem)}.png">PNG</a>, '
                f'<a href="plots/{e(stem)}.svg">SVG</a>)</figcaption></figure>']
    out += ["<h2>Points</h2>",
            '<div class="filter"><label>Filter: <input type="text" id="filter" '
            'placeholder="e.g. resnet rows=8 fps&gt;100 status!=pass"></label> '
            '<label><input type="checkbox" id="failed-only"> only points that did not pass</label> '
            '<span id="shown"></span></div>',
            '<table id="points">', "<thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in columns) + "</tr></thead>",
            "<tbody>"]
    for row in rows:
        point = row[id_column] if id_column is not None and id_column < len(row) else ""
        attrs = f' id="point-{e(point)}"' if point else ""
        attrs += ' class="failed"' if point in failed_ids else ""
        out += [f"<tr{attrs}>" + "".join(cell_html(c) for c in row) + "</tr>"]
    out += ["</tbody>", "</table>", f"<script>{SCRIPT}</script>", "</body>", "</html>"]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, path)  # a reader never sees half a page
