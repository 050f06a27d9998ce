"""tools/flows/asic/asic_flow.py (docs/asic.md): the engine at a small shape (4x8, small buffers) mapped
to the OSU 0.18 um cells by Yosys with its buffers as SRAM macros, timed by OpenSTA; asic.json's figures
agree with each other and with the SRAM model of generators/flows/asic_tech.json. Bad input exits 2.

    test_asic_flow.py SOURCE_DIR WORK_DIR
"""
import json
import math
import shutil
import subprocess
import sys
import unittest
from pathlib import Path

SOURCE, WORK = Path(sys.argv[1]), Path(sys.argv[2])
FLOW = SOURCE / "tools" / "flows" / "asic" / "asic_flow.py"
TECH = json.loads((SOURCE / "generators" / "flows" / "asic_tech.json").read_text())
LIBERTY = Path(TECH["library"]["dir"]) / TECH["library"]["liberty"]
# The CI shape: 4x8 PEs at 8 bits with small buffers (about 2 minutes of Yosys and OpenSTA).
PARAMS = ("Rows 4 Cols 8 StreamBits 64 ActBits 8 WeightBits 8 AccBits 32 AccDepth 32 InputBufferBytes 2048 "
          "WeightBufferBytes 2048 OutputBufferBytes 1024 FoldMax 1 DwLinePixels 0")
MISSING = [t for t in ("yosys", "sta") if shutil.which(t) is None] + ([] if LIBERTY.exists() else [str(LIBERTY)])


def flow(*args):
    return subprocess.run([sys.executable, str(FLOW), *args], capture_output=True, text=True)


class BadInputTest(unittest.TestCase):
    def test_a_malformed_config_tcl_is_named_with_its_line_and_exits_2(self):
        config = WORK / "bad_config.tcl"
        config.write_text("# comment\nset Rows 2\nset Cols\n")
        done = flow("--config", str(config), "--out", str(WORK / "bad"))
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn(f"{config}:3: expected `set Name Value`", done.stderr)

    def test_a_partial_parameter_list_names_what_is_missing_and_exits_2(self):
        done = flow("--params", "Rows 2 Cols 3", "--out", str(WORK / "bad"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("--params: missing ActBits, WeightBits", done.stderr)
        self.assertIn("DwLinePixels", done.stderr)

    def test_an_unknown_parameter_is_named_and_exits_2(self):
        done = flow("--params", PARAMS + " Depth 4", "--out", str(WORK / "bad"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("--params: Depth: not a parameter of dnn_engine", done.stderr)

    def test_odd_params_exit_2(self):
        done = flow("--params", "Rows 2 Cols", "--out", str(WORK / "bad"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("name/value pairs", done.stderr)


@unittest.skipIf(MISSING, f"missing {', '.join(MISSING)}: apt-get install yosys opensta qflow-tech-osu018 "
                          "(tools/install-deps.sh)")
class TinyShapeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = WORK / "asic_osu018_4x8"
        shutil.rmtree(cls.out, ignore_errors=True)
        done = flow("--params", PARAMS, "--out", str(cls.out), "--period-ns", "20")
        if done.returncode != 0:
            raise AssertionError(done.stderr)
        cls.a = json.loads((cls.out / "asic.json").read_text())

    def test_area_is_the_cells_plus_the_sram_macros(self):
        a = self.a
        self.assertAlmostEqual(a["area_um2"], a["logic_area_um2"] + a["sram_area_um2"], delta=0.2)
        self.assertAlmostEqual(a["area_mm2"], a["area_um2"] / 1e6, places=4)
        self.assertEqual(a["cells"], sum(a["cell_counts"].values()))
        self.assertGreater(a["flip_flops"], 0)
        self.assertTrue(set(a["cell_counts"]) <= set(_liberty_cells()), a["cell_counts"])

    def test_the_buffers_are_sram_macros_by_the_model(self):
        macros = {m["name"]: m for m in self.a["sram"]["macros"]}
        # Rows*XBits-bit words (XBits = ActBits + 1), two halves of 2048 / Rows / 2 words each; AccDepth words
        # of Cols*AccBits accumulators.
        self.assertEqual((macros["u_input_buffer.g_one.u_ram.mem_q"]["words"],
                          macros["u_input_buffer.g_one.u_ram.mem_q"]["width"]), (512, 36))
        self.assertEqual((macros["u_core.u_acc.mem_q"]["words"], macros["u_core.u_acc.mem_q"]["width"]), (32, 256))
        port_cell = 96.0  # osu018_stdcells.lib DFFPOSX1
        for m in macros.values():
            self.assertGreaterEqual(m["words"], TECH["sram"]["min_words"])
            expected = (m["words"] * m["width"] * TECH["sram"]["bit_um2"] +
                        (math.ceil(math.log2(m["words"])) + 2 * m["width"]) * port_cell)
            self.assertAlmostEqual(m["area_um2"], expected, places=3, msg=m["name"])
        self.assertAlmostEqual(self.a["sram_area_um2"], sum(m["area_um2"] for m in macros.values()), delta=0.2)

    def test_fmax_is_the_critical_path_of_opensta(self):
        a = self.a
        self.assertAlmostEqual(a["fmax_mhz"], 1000.0 / a["critical_path_ns"], delta=0.1)
        p = a["critical_path"]
        self.assertEqual(p["period_ns"], 20.0)
        self.assertAlmostEqual(a["critical_path_ns"], p["period_ns"] - p["slack_ns"], places=3)
        self.assertTrue(p["from"] and p["to"])
        self.assertGreater(a["critical_path_ns"], 0.5)  # a datapath, not a wire: high fanout is buffered

    def test_scaling_to_other_nodes_is_classical_and_labelled(self):
        a = self.a
        self.assertIn("ESTIMATE", a["scaling_note"])
        for node in TECH["scaling"]["nodes_nm"]:
            f = node / TECH["library"]["node_nm"]
            self.assertAlmostEqual(a["scaling"][f"{node}nm"]["area_mm2"], a["area_mm2"] * f * f, delta=1e-3)
            # Both are rounded to 0.1 MHz: the scaled one from the unrounded fmax.
            self.assertAlmostEqual(a["scaling"][f"{node}nm"]["fmax_mhz"], a["fmax_mhz"] / f, delta=0.1 + 0.06 / f)


def _liberty_cells():
    import re
    return re.findall(r"cell \((\w+)\)", LIBERTY.read_text())


if __name__ == "__main__":
    WORK.mkdir(parents=True, exist_ok=True)
    unittest.main(argv=sys.argv[:1])
