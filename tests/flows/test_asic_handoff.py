"""vp_gen's ASIC hand-off (OUT/asic/: syn.tcl, pnr.tcl, constraint.sdc, config.mk; docs/asic.md) runs under
tclsh against stubs of the Genus/Innovus commands (asic_tool_stub.tcl) and GNU make reads config.mk: the
engine's parameters and clock are config.tcl's, every source file exists.

    test_asic_handoff.py VP_GEN SOURCE_DIR WORK_DIR
"""
import re
import shutil
import subprocess
import sys
import unittest
from pathlib import Path

VP_GEN, SOURCE, WORK = (Path(a) for a in sys.argv[1:4])
HERE = Path(__file__).resolve().parent
STUB = HERE / "asic_tool_stub.tcl"
TCLSH = shutil.which("tclsh")


def config_tcl(out):
    return dict(re.findall(r"^set (\w+) (\S+)$", (out / "config.tcl").read_text(), re.M))


def rtl_sources():
    lines = (SOURCE / "rtl" / "dnn_engine.f").read_text().splitlines()
    return [str(SOURCE / "rtl" / l.strip()) for l in lines if l.strip() and not l.startswith("//")]


def run_stubbed(script, out):
    env = {"DNNVP_RTL": str(SOURCE / "rtl"), "DNNVP_LIB": "/lib/cells.lib", "DNNVP_LEF": "tech.lef cells.lef",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([TCLSH, str(STUB), str(out / "asic" / script)], cwd=out / "asic", env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"{script} under the stub: {done.stderr}")
    calls = {}
    for line in done.stdout.splitlines():
        if line.startswith("CALL\t"):
            words = line.split("\t")[1:]
            calls.setdefault(words[0], []).append(words[1:])
    return calls


@unittest.skipIf(TCLSH is None, "tclsh missing: apt-get install tcl (tools/install-deps.sh)")
class HandoffTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = WORK / "asic_handoff"
        shutil.rmtree(cls.out, ignore_errors=True)
        subprocess.run([str(VP_GEN), str(SOURCE / "scenarios" / "tiny_cnn.yaml"), "-q", "-o", str(cls.out)],
                       check=True)
        cls.config = config_tcl(cls.out)
        cls.params = {k: v for k, v in cls.config.items() if k not in ("ClockKhz", "ClockMhz")}

    def test_syn_tcl_elaborates_the_engine_with_config_tcl_parameters(self):
        calls = run_stubbed("syn.tcl", self.out)
        self.assertEqual(calls["read_hdl"], [["-sv", " ".join(rtl_sources())]])
        top, flag, params = calls["elaborate"][0]
        self.assertEqual((top, flag), ("dnn_engine", "-parameters"))
        got = dict(p.split(" ") for p in re.findall(r"\{(\w+ \S+)\}", params))
        self.assertEqual(got, self.params)
        for step in ("syn_generic", "syn_map", "syn_opt", "write_hdl", "write_sdc"):
            self.assertIn(step, calls)

    def test_the_clock_is_config_tcl_clock(self):
        calls = run_stubbed("syn.tcl", self.out)
        clock = calls["create_clock"][0]
        self.assertEqual(clock[:2], ["-name", "clk"])
        self.assertAlmostEqual(float(clock[3]), 1000.0 / float(self.config["ClockMhz"]))
        self.assertEqual(clock[4], "port:clk_i")
        self.assertEqual(calls["set_false_path"], [["-from", "port:rst_ni"]])

    def test_pnr_tcl_places_routes_and_writes_gds(self):
        calls = run_stubbed("pnr.tcl", self.out)
        self.assertEqual(calls["read_physical"], [["-lef", "tech.lef cells.lef"]])
        self.assertEqual(calls["read_netlist"], [["dnn_engine.syn.v", "-top", "dnn_engine"]])
        self.assertIn("create_clock", calls)  # the MMMC view read constraint.sdc
        for step in ("init_design", "place_design", "ccopt_design", "route_design"):
            self.assertIn(step, calls)
        self.assertEqual(calls["write_stream"], [["dnn_engine.gds"]])

    def test_config_mk_names_every_source_and_the_parameters(self):
        done = subprocess.run(["make", "-s", "-f", str(self.out / "asic" / "config.mk"), "-f", "-",
                               f"DNNVP_RTL={SOURCE / 'rtl'}", "show"], capture_output=True, text=True,
                              input="show:\n\t@echo $(VERILOG_FILES)\n\t@echo $(VERILOG_TOP_PARAMS)\n"
                                    "\t@echo $(SDC_FILE)\n", check=True)
        files, params, sdc = done.stdout.splitlines()
        self.assertEqual(files.split(), rtl_sources())
        words = params.split()
        self.assertEqual(dict(zip(words[0::2], words[1::2])), self.params)
        self.assertTrue(Path(sdc).is_file(), sdc)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
