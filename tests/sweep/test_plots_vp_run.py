"""vp_run --plots DIR (tools/vp_run.cpp, tools/sweep/plot_run.py) on tiny_cnn: the run's per-layer plots
beside an unchanged run, and a plotting failure that only warns. ctest names the binary in DNNVP_VP_RUN and
a scratch directory in DNNVP_TEST_TMP (tests/sweep/CMakeLists.txt)."""
import json
import os
import shutil
import subprocess
import unittest
import xml.etree.ElementTree as ET

import matplotlib.image

VP_RUN = os.environ["DNNVP_VP_RUN"]
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TINY = os.path.join(SOURCE, "scenarios", "tiny_cnn.yaml")
TMP = os.path.join(os.environ["DNNVP_TEST_TMP"], "plots_vp_run")
PLOTS = ("layer_cycles", "layer_utilisation", "layer_dram")


class VpRunPlots(unittest.TestCase):
    def test_plots_of_tiny_cnn_and_a_failing_plot_only_warns(self):
        shutil.rmtree(TMP, ignore_errors=True)
        out, plots = os.path.join(TMP, "run"), os.path.join(TMP, "plots")
        run = subprocess.run([VP_RUN, TINY, "-o", out, "-q", "--engine", "fast", "--plots", plots],
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        for stem in PLOTS:
            self.assertGreater(matplotlib.image.imread(os.path.join(plots, stem + ".png")).size, 0)
            ET.parse(os.path.join(plots, stem + ".svg"))
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            report = json.load(f)
        with open(os.path.join(plots, "layer_cycles.svg"), encoding="utf-8") as f:
            svg = f.read()
        for layer in report["layers"]:  # every layer with cycles of its own is on the cycles plot
            if layer["where"] in ("engine", "cpu"):
                self.assertIn(f">{layer['name']}<", svg)
        # A plots directory that cannot be made (a file is in the way): a warning, the run still passes. The
        # first run's firmware is reused (vp_gen replaces the output directory: it is copied out first).
        blocked, firmware = os.path.join(TMP, "file"), os.path.join(TMP, "firmware.elf")
        open(blocked, "w").close()
        shutil.copy(os.path.join(out, "firmware.elf"), firmware)
        run = subprocess.run([VP_RUN, TINY, "-o", out, "-q", "--engine", "fast", "--firmware", firmware,
                              "--plots", os.path.join(blocked, "plots")], capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn(f"plot_run: error: {blocked}/plots: cannot create the plots' directory (Not a directory)\n"
                      "vp_run: warning: --plots: plot_run.py ended with status 2; the run's status is unchanged",
                      run.stderr)
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["status"], "pass")


if __name__ == "__main__":
    unittest.main()
