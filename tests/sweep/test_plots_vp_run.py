"""The plots from the tools that call them, on tiny_cnn: vp_run --plots DIR (tools/vp_run.cpp,
tools/sweep/plot_run.py) beside an unchanged run, a plotting failure that only warns, and vp_sweep's plots and
index.html of a sweep directory holding that run's report. ctest names the binaries in DNNVP_VP_RUN and
DNNVP_VP_SWEEP (the latter only when the build has vp_sweep) and a scratch directory in DNNVP_TEST_TMP
(tests/sweep/CMakeLists.txt)."""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

try:
    import matplotlib.image
except ImportError:
    print("skipped: python3-matplotlib is not installed (tools/install-deps.sh installs it)")
    sys.exit(77)  # ctest's SKIP_RETURN_CODE (tests/sweep/CMakeLists.txt)

VP_RUN = os.environ["DNNVP_VP_RUN"]
VP_SWEEP = os.environ.get("DNNVP_VP_SWEEP")
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TINY = os.path.abspath(os.path.join(SOURCE, "scenarios", "tiny_cnn.yaml"))
TMP = os.path.join(os.environ["DNNVP_TEST_TMP"], "plots_vp_run")
RUN_PLOTS = ("layer_cycles", "layer_utilisation", "layer_dram")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f)


class Rows(html.parser.HTMLParser):
    """The ids and classes of index.html's table rows."""

    def __init__(self):
        super().__init__()
        self.rows = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("id"):
            self.rows[a["id"]] = a.get("class")


class ToolsDrawPlots(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        cls.out, cls.plots = os.path.join(TMP, "run"), os.path.join(TMP, "plots")
        cls.result = subprocess.run([VP_RUN, TINY, "-o", cls.out, "-q", "--engine", "fast", "--plots", cls.plots],
                                    capture_output=True, text=True, timeout=300)
        # vp_gen replaces the output directory on the next run: the report and firmware are kept apart.
        cls.report, cls.firmware = os.path.join(TMP, "report.json"), os.path.join(TMP, "firmware.elf")
        shutil.copy(os.path.join(cls.out, "report.json"), cls.report)
        shutil.copy(os.path.join(cls.out, "firmware.elf"), cls.firmware)

    def test_vp_run_plots_tiny_cnn_per_layer(self):
        self.assertEqual(self.result.returncode, 0, self.result.stdout + self.result.stderr)
        for stem in RUN_PLOTS:
            self.assertGreater(matplotlib.image.imread(os.path.join(self.plots, stem + ".png")).size, 0)
            ET.parse(os.path.join(self.plots, stem + ".svg"))
        svg = read(os.path.join(self.plots, "layer_cycles.svg"))
        layers = json.loads(read(self.report))["layers"]
        for layer in layers:  # every layer with cycles of its own is on the cycles plot
            if layer["where"] in ("engine", "cpu"):
                self.assertIn(f">{layer['name']}<", svg)

    def test_a_plotting_failure_only_warns(self):
        # A plots directory that cannot be made (a file is in the way): a warning, the run still passes.
        blocked = os.path.join(TMP, "file")
        open(blocked, "w").close()
        run = subprocess.run([VP_RUN, TINY, "-o", os.path.join(TMP, "run2"), "-q", "--engine", "fast", "--firmware",
                              self.firmware, "--plots", os.path.join(blocked, "plots")],
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn(f"plot_run: error: {blocked}/plots: cannot create the plots' directory (Not a directory)\n"
                      "vp_run: warning: --plots: plot_run.py ended with status 2; the run's status is unchanged",
                      run.stderr)
        self.assertEqual(json.loads(read(os.path.join(TMP, "run2", "report.json")))["status"], "pass")

    @unittest.skipUnless(VP_SWEEP, "the build has no vp_sweep")
    def test_vp_sweep_draws_the_plots_and_page_of_its_tables(self):
        # A sweep directory as vp_sweep leaves it (docs/sweeps.md): one point passed with the run's report,
        # one did not; --merge-only assembles the tables from them and draws.
        out = os.path.join(TMP, "sweep")
        with open(os.path.join(TMP, "s.yaml"), "w", encoding="utf-8") as f:
            f.write(f"base: {TINY}\naxes:\n  hardware.rows: [4, 8]\n")
        write_json(os.path.join(out, "sweep.json"),
                   {"name": "s", "file": os.path.join(TMP, "s.yaml"), "base": [TINY], "axes": ["hardware.rows"],
                    "engine": "fast", "points": [{"id": f"p000{i}", "index": i, "fields": {"hardware.rows": r}}
                                                 for i, r in enumerate((4, 8))]})
        os.makedirs(os.path.join(out, "points", "p0000"))
        shutil.copy(self.report, os.path.join(out, "points", "p0000", "report.json"))
        for pid, status, message in (("p0000", "pass", ""), ("p0001", "mismatch", "3 of 10 output elements differ")):
            write_json(os.path.join(out, "points", pid, "status.json"),
                       {"id": pid, "status": status, "message": message, "exit_code": int(status != "pass"),
                        "wall_s": 1.0, "engine": "fast"})
        run = subprocess.run([VP_SWEEP, os.path.join(TMP, "s.yaml"), "--out", out, "--merge-only"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        for stem in ("fps_vs_pes", "utilisation_layers", "pareto_fps_pes"):
            ET.parse(os.path.join(out, "plots", stem + ".svg"))
        self.assertIn("p0001 (mismatch)", read(os.path.join(out, "plots.log")))
        page = Rows()
        page.feed(read(os.path.join(out, "index.html")))
        self.assertEqual(page.rows, {"point-p0000": None, "point-p0001": "failed"})


if __name__ == "__main__":
    unittest.main()
