"""The sweep plots and their page (tools/sweep/plot_sweep.py, sweep_page.py) and one run's plots
(tools/sweep/plot_run.py), on hand-made inputs that follow vp_sweep's results.json and vp_sim's report.json
(docs/sweeps.md, "Plots"; docs/platform.md, "report.json"). Run with Debian's Python (python3-matplotlib).
"""
import contextlib
import csv
import html.parser
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest
import xml.etree.ElementTree as ET

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "sweep")
sys.path.insert(0, TOOLS)

try:
    import matplotlib.image
except ImportError:
    print("skipped: python3-matplotlib is not installed (tools/install-deps.sh installs it)")
    sys.exit(77)  # ctest's SKIP_RETURN_CODE (tests/sweep/CMakeLists.txt)

import dnnvp_plots  # noqa: E402
import plot_run  # noqa: E402
import plot_sweep  # noqa: E402
import sweep_page  # noqa: E402

AXES = ["network", "hardware.rows", "hardware.cols", "hardware.input_buffer_kib"]
LAYERS = ("conv1", "pool1", "conv2", "fc")
# (id, network, rows, cols, input buffer KiB, fps, status, message). Fronts of fps against PEs, by hand:
# tiny_cnn p0001 (32 PEs, 110 fps; p0000 has the same PEs and less fps), p0003 (64, 170; p0002 has
# less), p0005 (128, 260; p0004 has less than p0003 with fewer PEs); jettagger p0007 (32, 1000) and
# p0009 (128, 1500); p0008 is faster than p0007 but did not pass (a mismatch), p0006 never ran.
POINTS = (
    ("p0000", "tiny_cnn", 4, 8, 64, 100.0, "pass", ""),
    ("p0001", "tiny_cnn", 4, 8, 256, 110.0, "pass", ""),
    ("p0002", "tiny_cnn", 8, 8, 64, 150.0, "pass", ""),
    ("p0003", "tiny_cnn", 4, 16, 64, 170.0, "pass", ""),
    ("p0004", "tiny_cnn", 8, 16, 64, 160.0, "pass", ""),
    ("p0005", "tiny_cnn", 8, 16, 256, 260.0, "pass", ""),
    ("p0006", "tiny_cnn", 16, 16, 64, None, "build_error", "building the simulator for r16c16... failed"),
    ("p0007", "jettagger", 4, 8, 64, 1000.0, "pass", ""),
    ("p0008", "jettagger", 8, 16, 64, 2000.0, "mismatch", "3 of 5 output elements differ <first: 0>"),
    ("p0009", "jettagger", 8, 16, 256, 1500.0, "pass", ""),
)
FRONTS = {"tiny_cnn": ["p0001", "p0003", "p0005"], "jettagger": ["p0007", "p0009"]}
FAILED = {"p0006", "p0008"}
SWEEP_FILES = ("fps_vs_pes", "utilisation_layers", "dram_vs_buffer", "pareto_fps_pes", "pareto_fps_area_mm2")


def fixture_point(pid, net, rows, cols, kib, fps, status, message):
    point = {"id": pid, "fields": dict(zip(AXES, (net, rows, cols, kib))), "status": status,
             "message": message, "engine": "fast", "wall_s": 1.5, "metrics": {}, "layers": []}
    if fps is None:  # never ran: no metrics, no layers
        return point
    pes = rows * cols
    point["metrics"] = {"bit_exact": status == "pass", "pes": pes, "cycles": int(25e7 / fps), "fps": fps,
                        "utilization": 0.5, "dram_mb": 4096.0 / kib + pes / 100, "area_mm2": pes * 0.01}
    point["layers"] = [{"layer": i, "name": name, "where": "cpu" if name.startswith("pool") else "engine",
                        "cycles": 1000 * (i + 1),
                        "utilization": None if name.startswith("pool") else round(0.9 - 0.1 * i, 3)}
                       for i, name in enumerate(LAYERS)]
    return point


def write_fixture(out_dir, points=POINTS, csv_file=True):
    """results.json as vp_sweep writes it (docs/sweeps.md) and, with csv_file, results.csv."""
    results = {"sweep": "fixture", "axes": AXES, "points": [fixture_point(*p) for p in points]}
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f)
    if csv_file:
        columns = ["id"] + AXES + ["status", "message", "engine", "wall_s", "bit_exact", "pes", "fps", "dram_mb"]
        with open(os.path.join(out_dir, "results.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(columns)
            for p in results["points"]:
                flat = {**p, **p["fields"], **p["metrics"]}
                w.writerow(["" if flat.get(c) is None else flat.get(c) for c in columns])
    return results


def read(path, encoding="utf-8"):
    with open(path, encoding=encoding) as f:
        return f.read()


def run_script(*args):
    return subprocess.run([sys.executable, "-B", *args], capture_output=True, text=True, timeout=120)


def run_main(module, *args):
    """A script's main() in this process (no second matplotlib start-up): its exit status and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = module.main([module.__file__, *args])
    return types.SimpleNamespace(returncode=status, stderr=err.getvalue())


class Page(html.parser.HTMLParser):
    """What the tests look at in index.html: headers, rows (id, class, cells), images, scripts."""

    def __init__(self):
        super().__init__()
        self.headers, self.rows, self.images, self.scripts, self.open = [], [], [], [], []
        self._cell = None
        self._script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in ("img", "meta", "input", "br"):
            self.open.append(tag)
        if tag == "tr":
            self.rows.append({"id": a.get("id"), "class": a.get("class"), "cells": [], "titles": {}})
        elif tag in ("td", "th"):
            self._cell = ""
            if tag == "td" and "title" in a:
                self.rows[-1]["titles"][len(self.rows[-1]["cells"])] = a["title"]
        elif tag == "img":
            self.images.append(a["src"])
        elif tag == "script":
            self._script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag not in ("img", "meta", "input", "br"):
            expected = self.open.pop() if self.open else None
            if expected != tag:
                raise AssertionError(f"</{tag}> closes <{expected}>")
        if tag == "th":
            self.headers.append(self._cell)
        elif tag == "td":
            self.rows[-1]["cells"].append(self._cell)
        if tag in ("td", "th"):
            self._cell = None
        if tag == "script":
            self._script = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._script:
            self.scripts[-1] += data


def parse_page(path):
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    page.close()
    if page.open:
        raise AssertionError(f"{path}: unclosed elements {page.open}")
    return page


class PlotFiles(unittest.TestCase):
    def assert_plots(self, directory, stems):
        for stem in stems:
            png, svg = (os.path.join(directory, f"{stem}.{ext}") for ext in ("png", "svg"))
            image = matplotlib.image.imread(png)  # decodes the whole PNG
            self.assertGreater(image.shape[0] * image.shape[1], 100 * 100, png)
            root = ET.parse(svg).getroot()  # well-formed XML
            self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg", svg)


class SweepPlots(PlotFiles):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="test_plots_")
        cls.results = write_fixture(cls.tmp)
        cls.plotted = run_script(os.path.join(TOOLS, "plot_sweep.py"), cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_writes_every_plot_as_png_and_svg(self):
        self.assertEqual(self.plotted.returncode, 0, self.plotted.stderr)
        self.assert_plots(os.path.join(self.tmp, "plots"), SWEEP_FILES)
        written = sorted(os.listdir(os.path.join(self.tmp, "plots")))
        self.assertEqual(written, sorted(f"{s}.{e}" for s in SWEEP_FILES for e in ("png", "svg")))

    def test_failed_points_are_listed_and_left_out(self):
        self.assertIn("2 point(s) did not pass and are left out of the plots: p0006 (build_error), "
                      "p0008 (mismatch)", self.plotted.stderr)
        svg = read(os.path.join(self.tmp, "plots", "pareto_fps_pes.svg"), encoding="utf-8")
        self.assertNotIn("p0008", svg)  # the fastest jettagger point did not pass: not on the front
        for net, ids in FRONTS.items():
            self.assertIn(f"{net}: front ({len(ids)} of", svg)

    def test_index_has_every_column_point_and_plot(self):
        page = parse_page(os.path.join(self.tmp, "index.html"))
        with open(os.path.join(self.tmp, "results.csv"), encoding="utf-8", newline="") as f:
            csv_rows = list(csv.reader(f))
        self.assertEqual(page.headers, csv_rows[0])
        body = [r for r in page.rows if r["cells"]]
        # Numbers with a fraction to 6 significant digits, the exact text in the tooltip; the rest as written.
        self.assertEqual([[r["titles"].get(i, c) for i, c in enumerate(r["cells"])] for r in body], csv_rows[1:])
        fps = csv_rows[0].index("fps")
        self.assertEqual([r["cells"][fps] for r in body],
                         ["" if p[5] is None else f"{p[5]:.6g}" for p in POINTS])
        self.assertEqual([r["id"] for r in body], [f"point-{p[0]}" for p in POINTS])
        self.assertEqual({r["id"][6:] for r in body if r["class"] == "failed"}, FAILED)
        text = read(os.path.join(self.tmp, "index.html"), encoding="utf-8")
        self.assertIn("3 of 5 output elements differ &lt;first: 0&gt;", text)  # the message, escaped
        self.assertEqual(sorted(page.images), sorted(f"plots/{s}.svg" for s in SWEEP_FILES))
        for src in page.images:
            self.assertTrue(os.path.exists(os.path.join(self.tmp, src)), src)
        self.assertNotRegex(text, r"(src|href)=\"(https?:)?//")  # nothing from the network
        self.assertIn('Tables: <a href="results.csv">results.csv</a>, <a href="results.json">results.json</a>', text)

    def test_pareto_front_of_the_fixture(self):
        passed = [p for p in self.results["points"] if p["status"] == "pass"]
        for net, ids in FRONTS.items():
            group = [p for p in passed if p["fields"]["network"] == net]
            front = dnnvp_plots.pareto_front([(plot_sweep.pes(p), p["metrics"]["fps"], p["id"]) for p in group])
            self.assertEqual([f[2] for f in front], ids, net)

    def test_same_data_same_svg(self):
        with tempfile.TemporaryDirectory() as again:
            groups = plot_sweep.by_network([p for p in self.results["points"] if p["status"] == "pass"], "fixture")
            cost, cost_label, _ = plot_sweep.PARETO_COSTS[0]
            dnnvp_plots.Plotter(again).draw("pareto_fps_pes", "again",
                                            lambda: plot_sweep.pareto(groups, cost, cost_label))
            self.assertEqual(read(os.path.join(self.tmp, "plots", "pareto_fps_pes.svg")),
                             read(os.path.join(again, "pareto_fps_pes.svg")))


class ParetoFront(unittest.TestCase):
    def test_keeps_exactly_the_undominated_points_sorted_by_cost(self):
        items = [(64, 5.0, "a"), (32, 3.0, "b"), (32, 4.0, "c"), (128, 4.5, "d"), (16, 1.0, "e"),
                 (256, 9.0, "f"), (128, 9.0, "g")]
        # b: c is as cheap and faster; d: a is cheaper and faster; f: g is cheaper and as fast.
        self.assertEqual(dnnvp_plots.pareto_front(items),
                         [(16, 1.0, "e"), (32, 4.0, "c"), (64, 5.0, "a"), (128, 9.0, "g")])
        self.assertEqual(dnnvp_plots.pareto_front([]), [])


class MissingData(PlotFiles):
    def test_plots_without_data_are_notes_and_the_page_is_still_written(self):
        with tempfile.TemporaryDirectory() as tmp:
            results = write_fixture(tmp, csv_file=False)
            for p in results["points"]:  # no layers, no DRAM, no area, one buffer size
                p["layers"] = []
                for key in ("dram_mb", "area_mm2"):
                    p["metrics"].pop(key, None)
                p["fields"].pop("hardware.input_buffer_kib")
            with open(os.path.join(tmp, "results.json"), "w", encoding="utf-8") as f:
                json.dump(results, f)
            run = run_main(plot_sweep, tmp)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertIn("PE utilisation per layer: not drawn: no passed point has layers with utilization",
                          run.stderr)
            self.assertIn("DRAM MB against buffer size: not drawn: the sweep varies no buffer size", run.stderr)
            self.assertEqual(sorted(os.listdir(os.path.join(tmp, "plots"))),
                             sorted(f"{s}.{e}" for s in ("fps_vs_pes", "pareto_fps_pes") for e in ("png", "svg")))
            page = parse_page(os.path.join(tmp, "index.html"))
            # Without results.csv the table is built from results.json: every field, status and metric.
            for column in AXES[:3] + ["id", "status", "message", "engine", "wall_s", "fps", "pes"]:
                self.assertIn(column, page.headers)
            self.assertEqual([r["id"] for r in page.rows if r["cells"]], [f"point-{p[0]}" for p in POINTS])
            self.assertIn("not drawn: no passed point has layers", read(os.path.join(tmp, "index.html")))

    def test_no_passed_point_draws_nothing_and_says_why(self):
        with tempfile.TemporaryDirectory() as tmp:
            write_fixture(tmp, points=[p for p in POINTS if p[0] in FAILED])
            run = run_main(plot_sweep, tmp)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(os.listdir(os.path.join(tmp, "plots")), [])
            self.assertIn("fps against PEs: not drawn: no passed point has both fps and pes", run.stderr)
            page = parse_page(os.path.join(tmp, "index.html"))
            self.assertEqual({r["id"] for r in page.rows if r["class"] == "failed"}, {f"point-{i}" for i in FAILED})

    def test_unreadable_results_are_bad_input_naming_the_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            run = run_main(plot_sweep, tmp)
            self.assertEqual(run.returncode, 2)
            self.assertIn(os.path.join(tmp, "results.json") + ": cannot read", run.stderr)
            with open(os.path.join(tmp, "results.json"), "w", encoding="utf-8") as f:
                f.write('{"points": [\n  {"id": "p0000",}\n]}')
            run = run_main(plot_sweep, tmp)
            self.assertEqual(run.returncode, 2)
            self.assertIn(os.path.join(tmp, "results.json") + ":2: not valid JSON", run.stderr)
            with open(os.path.join(tmp, "results.json"), "w", encoding="utf-8") as f:
                json.dump({"points": [{"id": 3}]}, f)
            run = run_main(plot_sweep, tmp)
            self.assertEqual(run.returncode, 2)
            self.assertIn("points[0]: expected an object with a string `id`", run.stderr)


@unittest.skipUnless(shutil.which("node"), "node is not installed: the page's sort and filter are not run")
class PageScript(unittest.TestCase):
    """The page's sort order and filter terms, run by node on the functions the page uses."""

    def run_js(self, code, before=""):
        """Runs the page's script between `before` and `code` in node; what `code` logs, as JSON."""
        run = subprocess.run(["node", "-e", before + "\n" + sweep_page.SCRIPT + "\n" + code], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(run.returncode, 0, run.stderr)
        return json.loads(run.stdout)

    def test_numbers_sort_as_numbers_and_empty_cells_last_both_ways(self):
        got = self.run_js('console.log(JSON.stringify(["10", "", "9.5", "100", "-1", "1e3"].sort(compareCells)))')
        self.assertEqual(got, ["-1", "9.5", "10", "100", "1e3", ""])
        got = self.run_js('console.log(JSON.stringify(["pass", "", "build_error", "mismatch"].sort(compareCells)))')
        self.assertEqual(got, ["build_error", "mismatch", "pass", ""])
        got = self.run_js('console.log(JSON.stringify(["10", "", "9.5", "x"]'
                          '.sort((a, b) => compareCells(a, b, true))))')
        self.assertEqual(got, ["x", "10", "9.5", ""])

    def test_clicks_sort_the_rows_and_the_filter_hides_them(self):
        with tempfile.TemporaryDirectory() as tmp:
            results = write_fixture(tmp)
            columns, rows = plot_sweep.read_table(tmp, results)
            failed = [p for p in results["points"] if p["status"] != "pass"]
            sweep_page.write(os.path.join(tmp, "index.html"), results, dnnvp_plots.Plotter(tmp), columns, rows,
                             failed)
            page = parse_page(os.path.join(tmp, "index.html"))
        table = {"headers": page.headers, "rows": [r for r in page.rows if r["cells"]]}
        got = self.run_js("""
            const states = [elements.shown.textContent];
            click("fps"); states.push(shown());
            click("fps"); states.push(shown(), headerRow.cells[PAGE.headers.indexOf("fps")].classList.contains("desc"));
            elements.filter.value = "tiny_cnn fps>=150"; elements.filter.listeners.input(); states.push(shown());
            elements.filter.value = ""; elements["failed-only"].checked = true;
            elements["failed-only"].listeners.change(); states.push(shown(), elements.shown.textContent);
            console.log(JSON.stringify(states));""", before="const PAGE = " + json.dumps(table) + ";" + FAKE_DOM)
        by_fps = [p[0] for p in sorted((p for p in POINTS if p[5] is not None), key=lambda p: p[5])]
        self.assertEqual(got, ["10 of 10 points shown", by_fps + ["p0006"], by_fps[::-1] + ["p0006"], True,
                               ["p0005", "p0003", "p0004", "p0002"], ["p0008", "p0006"], "2 of 10 points shown"])

    def test_filter_terms_match_text_and_compare_columns(self):
        columns = ["id", "hardware.rows", "status", "fps"]
        rows = [["p0000", "4", "pass", "100"], ["p0001", "8", "pass", "90.5"], ["p0002", "8", "mismatch", ""]]
        cases = {"": [0, 1, 2], "p0001": [1], "PASS": [0, 1], "hardware.rows=8": [1, 2], "fps>95": [0],
                 "fps<=90.5 status=pass": [1], "status!=pass": [2], "Hardware.Rows>=8 fps<100": [1],
                 "nosuch=1": [], "ress": [], "mis": [2], "fps!=100": [1, 2], "rows=4": [0]}
        got = self.run_js(f"const c = {json.dumps(columns)}, r = {json.dumps(rows)};"
                          f"console.log(JSON.stringify({json.dumps(list(cases))}.map(text => r.map((row, i) => i)"
                          f".filter(i => rowMatches(parseFilter(text), r[i], c)))))")
        self.assertEqual(dict(zip(cases, got)), cases)


# Just enough of a DOM for the page's wiring: the table (header cells, body rows), the filter box, the
# "only points that did not pass" box and the count, built from the page's own parsed table (PAGE).
FAKE_DOM = r"""
class ClassList {
  constructor(names) { this.names = new Set(names ? names.split(" ") : []); }
  add(...n) { n.forEach(x => this.names.add(x)); }
  remove(...n) { n.forEach(x => this.names.delete(x)); }
  contains(n) { return this.names.has(n); }
}
const listening = () => ({listeners: {}, addEventListener(type, f) { this.listeners[type] = f; }});
const headerRow = Object.assign(listening(), {cells: []});
PAGE.headers.forEach((text, i) => headerRow.cells.push(
    {textContent: text, cellIndex: i, parentNode: headerRow, classList: new ClassList(), closest() { return this; }}));
const body = {rows: PAGE.rows.map(r => ({id: r.id, hidden: false, classList: new ClassList(r.class),
                                         cells: r.cells.map(c => ({textContent: c}))})),
              appendChild(tr) { this.rows.splice(this.rows.indexOf(tr), 1); this.rows.push(tr); }};
const elements = {points: {tHead: {rows: [headerRow]}, tBodies: [body]},
                  filter: Object.assign(listening(), {value: ""}),
                  "failed-only": Object.assign(listening(), {checked: false}), shown: {textContent: ""}};
globalThis.document = {getElementById: id => elements[id]};
const click = name => headerRow.listeners.click({target: headerRow.cells[PAGE.headers.indexOf(name)]});
const shown = () => body.rows.filter(tr => !tr.hidden).map(tr => tr.id.slice(6));
"""


def run_report(layers, status="pass"):
    return {"report_format": 2, "status": status, "message": "", "end": "exit",
            "scenario": {"name": "fixture_run", "file": "x.yaml"}, "layers": layers}


RUN_LAYERS = [
    {"index": 0, "name": "conv1", "where": "engine", "cycles": 90000, "pe_utilization": 0.81,
     "pe_utilization_bound": 0.875, "dram_read_bytes": 30000, "dram_write_bytes": 8000,
     "dram_lower_bound_bytes": 36000},
    {"index": 1, "name": "pool1", "where": "cpu", "cycles": 40, "dram_read_bytes": 0, "dram_write_bytes": 0},
    {"index": 2, "name": "add1", "where": "engine (fused into conv1)", "cycles": 0},
    {"index": 3, "name": "fc", "where": "engine", "cycles": 5000, "pe_utilization": 0.05,
     "pe_utilization_bound": 0.06, "dram_read_bytes": 2000000, "dram_write_bytes": 1000,
     "dram_lower_bound_bytes": 2000500},
]
RUN_FILES = ("layer_cycles", "layer_utilisation", "layer_dram")


class RunPlots(PlotFiles):
    def run_plots(self, report):
        tmp = tempfile.mkdtemp(prefix="test_plot_run_")
        self.addCleanup(shutil.rmtree, tmp)
        with open(os.path.join(tmp, "report.json"), "w", encoding="utf-8") as f:
            json.dump(report, f)
        return tmp, run_main(plot_run, os.path.join(tmp, "report.json"),
                               os.path.join(tmp, "plots"))

    def test_writes_cycles_utilisation_and_dram_plots(self):
        tmp, run = self.run_plots(run_report(RUN_LAYERS))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assert_plots(os.path.join(tmp, "plots"), RUN_FILES)
        svg = read(os.path.join(tmp, "plots", "layer_cycles.svg"), encoding="utf-8")
        self.assertIn("pool1", svg)  # the CPU layer is drawn, the fused Add (no cycles of its own) is not
        self.assertNotIn("add1", svg)
        self.assertIn("(MB)", read(os.path.join(tmp, "plots", "layer_dram.svg"), encoding="utf-8"))

    def test_a_report_without_layers_is_notes_not_files(self):
        tmp, run = self.run_plots({"report_format": 2, "status": "error", "end": "bad_input",
                                   "message": "x.yaml:3: network: required field is missing"})
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(os.listdir(os.path.join(tmp, "plots")), [])
        self.assertIn("cycles per layer: not drawn: the report has no layers (status 'error': x.yaml:3", run.stderr)

    def test_without_matplotlib_the_scripts_say_so(self):
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "matplotlib"))
            with open(os.path.join(tmp, "matplotlib", "__init__.py"), "w", encoding="utf-8") as f:
                f.write("raise ImportError('no matplotlib here')\n")
            for script in ("plot_run.py", "plot_sweep.py"):
                run = subprocess.run([sys.executable, "-B", os.path.join(TOOLS, script), tmp, tmp],
                                     capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": tmp})
                self.assertEqual(run.returncode, 1, run.stderr)
                self.assertEqual(run.stderr, f"{script}: error: python3-matplotlib is not installed "
                                             "(tools/install-deps.sh installs it): no plots\n")

    def test_an_unreadable_report_is_bad_input(self):
        run = run_main(plot_run, "/nonexistent/report.json", "/nonexistent/plots")
        self.assertEqual(run.returncode, 2)
        self.assertIn("/nonexistent/report.json: cannot read", run.stderr)


if __name__ == "__main__":
    unittest.main()
