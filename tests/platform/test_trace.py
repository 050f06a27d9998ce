"""Traces of a platform run (docs/debugging.md, "Traces and a timeline"): vp_run's --trace-bus,
--timeline and --timeline-svg on tiny_cnn, and the per-layer check against vp_gen's layer dumps.

Environment (tests/platform/CMakeLists.txt): DNNVP_VP_RUN, DNNVP_VP_SIM (the 4x8 simulator tiny_cnn runs
on), DNNVP_SOURCE_DIR, DNNVP_TEST_TMP.
"""
import collections
import json
import os
import re
import shutil
import struct
import subprocess
import unittest
import xml.etree.ElementTree as ET

import yaml

VP_RUN = os.environ["DNNVP_VP_RUN"]
VP_SIM = os.environ["DNNVP_VP_SIM"]
SOURCE = os.environ["DNNVP_SOURCE_DIR"]
TMP = os.path.join(os.environ["DNNVP_TEST_TMP"], "trace")
TINY = os.path.join(SOURCE, "scenarios", "tiny_cnn.yaml")


def vp_run(out, *options):
    os.makedirs(TMP, exist_ok=True)
    p = subprocess.run([VP_RUN, TINY, "-o", out, "-q", *options], capture_output=True, text=True)
    return p


def load(path):
    with open(path) as f:
        return json.load(f)


def npy_int32(path):
    """(header bytes, shape, values) of a C-order <i4 .npy file (as vp_gen writes them)."""
    with open(path, "rb") as f:
        data = f.read()
    header_len = struct.unpack_from("<H", data, 8)[0]
    header = data[10:10 + header_len].decode()
    shape = tuple(int(d) for d in re.search(r"\(([^)]*)\)", header).group(1).split(",") if d.strip())
    start = 10 + header_len
    values = list(struct.unpack_from("<%di" % ((len(data) - start) // 4), data, start))
    return data[:start], shape, values


def trace_event_problems(doc):
    """What breaks the trace-event format (JSON Object Format) in `doc`: required fields per phase,
    X durations >= 0, B/E balanced per track, timestamps monotonic per track."""
    problems = []
    events = doc.get("traceEvents")
    if not isinstance(events, list):
        return ["no traceEvents list"]
    required = {"X": ("name", "ph", "pid", "tid", "ts", "dur"), "B": ("name", "ph", "pid", "tid", "ts"),
                "E": ("ph", "pid", "tid", "ts"), "C": ("name", "ph", "pid", "ts", "args"),
                "M": ("name", "ph", "pid", "args"), "i": ("name", "ph", "pid", "tid", "ts")}
    last_ts = {}
    open_slices = collections.Counter()
    for k, e in enumerate(events):
        ph = e.get("ph")
        if ph not in required:
            problems.append("event %d: unknown ph %r" % (k, ph))
            continue
        missing = [f for f in required[ph] if f not in e]
        if missing:
            problems.append("event %d (%s): missing %s" % (k, ph, missing))
            continue
        if ph == "M":
            if e["name"] in ("process_name", "thread_name") and not isinstance(e["args"].get("name"), str):
                problems.append("event %d: %s without args.name" % (k, e["name"]))
            continue
        if not isinstance(e["ts"], (int, float)):
            problems.append("event %d: ts is no number" % k)
            continue
        if ph == "X" and not e["dur"] >= 0:
            problems.append("event %d: negative dur %r" % (k, e["dur"]))
        if ph == "C" and not all(isinstance(v, (int, float)) for v in e["args"].values()):
            problems.append("event %d: counter values are no numbers" % k)
        track = (e["pid"], e.get("tid"), e["name"]) if ph == "C" else (e["pid"], e["tid"])
        if e["ts"] < last_ts.get(track, float("-inf")):
            problems.append("event %d: ts %r before the track's previous %r" % (k, e["ts"], last_ts[track]))
        last_ts[track] = e["ts"]
        if ph == "B":
            open_slices[track] += 1
        elif ph == "E":
            open_slices[track] -= 1
            if open_slices[track] < 0:
                problems.append("event %d: E without B" % k)
    problems += ["track %r: %d B without E" % (t, n) for t, n in open_slices.items() if n > 0]
    return problems


class TracedRun(unittest.TestCase):
    """One traced run of tiny_cnn with layer dumps, shared by the tests below."""

    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(TMP, "tiny_cnn")
        cls.bus = os.path.join(TMP, "bus.txt")
        cls.json_file = os.path.join(TMP, "timeline.json")
        cls.svg_file = os.path.join(TMP, "timeline.svg")
        cls.result = vp_run(cls.out, "--dump-layers", "--trace-bus", cls.bus, "--timeline", cls.json_file,
                         "--timeline-svg", cls.svg_file)
        cls.report = load(os.path.join(cls.out, "report.json"))
        cls.timeline = load(cls.json_file)
        events = cls.timeline["traceEvents"]
        names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
        cls.tracks = collections.defaultdict(list)
        for e in events:
            if e["ph"] == "X":
                cls.tracks[names[e["tid"]]].append(e)
        cls.track_names = list(names.values())

    def test_the_traced_run_passes(self):
        self.assertEqual(self.result.returncode, 0, self.result.stdout + self.result.stderr)

    def test_timeline_is_valid_trace_event_json(self):
        self.assertEqual(trace_event_problems(self.timeline), [])
        self.assertEqual(self.timeline["displayTimeUnit"], "ns")

    def test_checker_finds_each_kind_of_problem(self):
        bad = {"traceEvents": [
            {"name": "a", "ph": "X", "pid": 1, "tid": 1, "ts": 5, "dur": -1},
            {"name": "b", "ph": "X", "pid": 1, "tid": 1, "ts": 4, "dur": 1},
            {"name": "c", "ph": "B", "pid": 1, "tid": 2, "ts": 1},
            {"name": "d", "ph": "X", "pid": 1, "ts": 1, "dur": 1},
            {"name": "e", "ph": "C", "pid": 1, "ts": 1, "args": {"v": "x"}}]}
        problems = trace_event_problems(bad)
        for what in ("negative dur", "before the track's previous", "B without E", "missing ['tid']",
                     "no numbers"):
            self.assertTrue(any(what in p for p in problems), (what, problems))

    def test_a_track_per_dma_channel_with_every_byte_moved(self):
        stats = self.report["stats"]
        channels = ["%s.%s" % (d, c) for d in ("dma0", "dma1", "dma2") for c in ("mm2s", "s2mm")
                    if c in stats[d]]
        self.assertEqual([t for t in self.track_names if t.startswith("dma")], channels)
        for ch in channels:
            dma, side = ch.split(".")
            moved = sum(e["args"]["bytes"] for e in self.tracks[ch])
            self.assertEqual(moved, stats[dma][side]["bytes"], ch)

    def test_engine_tiles_are_the_reports_tiles(self):
        tiles = sum(l.get("tiles", 0) or 0 for l in self.report["layers"])
        self.assertGreater(tiles, 0)
        self.assertEqual(len(self.tracks["engine: tiles"]), tiles)
        expected = [l["name"] + " tile 0" for l in self.report["layers"] if l.get("tiles")]
        self.assertEqual([e["name"] for e in self.tracks["engine: tiles"]], expected)
        self.assertEqual(len(self.tracks["engine: drain (y)"]), tiles)

    def test_layer_marks_are_the_layers_that_ran(self):
        ran = [l for l in self.report["layers"] if l["first_cycle"] is not None]
        marks = self.tracks["firmware: layers"]
        self.assertEqual([e["name"] for e in marks], [l["name"] for l in ran])
        period_us = 1.0 / self.report["hardware"]["clock_mhz"]
        for e, l in zip(marks, ran):  # each layer's span is the report's cycles
            self.assertAlmostEqual(e["dur"] / period_us, l["cycles"], delta=1.5, msg=l["name"])
        cpu = [l["name"] for l in ran if l["where"] == "cpu"]
        self.assertEqual([e["name"] for e in self.tracks["cpu: operations"]], cpu)

    def test_functions_come_from_the_elfs_symbols(self):
        names = {e["name"] for e in self.tracks["firmware: functions"]}
        self.assertIn("run_engine_layers", names)
        self.assertFalse(any(n.startswith("0x") for n in names), names)

    def test_counters_give_dram_bandwidth_and_pe_activity(self):
        counters = collections.defaultdict(list)
        for e in self.timeline["traceEvents"]:
            if e["ph"] == "C":
                counters[e["name"]].append(e)
        self.assertEqual(sorted(counters), ["DRAM bandwidth (GB/s)", "PE activity (%)"])
        # A point only where a value changes; each holds until the next, the last (the run's idle end) is 0.
        for c in counters.values():
            self.assertTrue(all(a["args"] != b["args"] for a, b in zip(c, c[1:])))
            self.assertTrue(all(v == 0 for v in c[-1]["args"].values()))
        # The bandwidth integrates to the bytes the DMAs moved (GB/s x us = kB).
        dram = counters["DRAM bandwidth (GB/s)"]
        moved = sum((a["args"]["read"] + a["args"]["write"]) * (b["ts"] - a["ts"]) * 1000
                    for a, b in zip(dram, dram[1:]))
        total = sum(e["args"]["bytes"] for t, evs in self.tracks.items() if t.startswith("dma") for e in evs)
        self.assertAlmostEqual(moved, total, delta=total * 1e-6)
        pe = [e["args"]["issuing"] for e in counters["PE activity (%)"]]
        self.assertTrue(all(0 <= v <= 100 + 1e-9 for v in pe))
        issued = sum(e["args"]["issue_cycles"] for e in self.tracks["engine: compute"])
        self.assertEqual(issued, self.report["stats"]["engine"]["compute_cycles"])

    def test_svg_is_well_formed_with_a_lane_per_track(self):
        root = ET.parse(self.svg_file).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        lanes = [g.get("data-track") for g in root.iter(ns + "g") if g.get("class") == "lane"]
        self.assertEqual(lanes, self.track_names)
        counters = [g.get("data-counter") for g in root.iter(ns + "g") if g.get("class") == "counter"]
        self.assertEqual(counters, ["DRAM bandwidth (GB/s)", "PE activity (%)"])
        texts = {t.text for t in root.iter(ns + "text")}
        for e in self.tracks["firmware: layers"]:
            self.assertIn(e["name"], texts)

    def test_bus_trace_lines_follow_the_format(self):
        with open(os.path.join(SOURCE, "platform", "memory_map.yaml")) as f:
            spec = yaml.safe_load(f)
        lists = {r["name"]: r.get("registers", []) for r in spec["regions"]}
        registers = {(name, g["name"]) for name, regs in lists.items()  # `registers: dma0` shares dma0's
                     for g in (lists[regs] if isinstance(regs, str) else regs)}
        mmio = re.compile(r"^(\d+\.\d{3}) mmio (\S+) ([RW]) (\w+)\.(\w+) (0x[0-9a-f]{8})((?: \w+=\w+)*)$")
        dma = re.compile(r"^(\d+\.\d{3}) dma (dma\d\.(?:mm2s|s2mm)) (0x[0-9a-f]+)\.\.(0x[0-9a-f]+) "
                         r"bytes=(\d+) duration=(\d+\.\d{3})( descriptor=0x[0-9a-f]+)?$")
        last = 0.0
        per_channel = collections.Counter()
        pushes = 0
        with open(self.bus) as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("#"):
                    continue
                m = mmio.match(line) or dma.match(line)
                self.assertIsNotNone(m, line)
                self.assertGreaterEqual(float(m.group(1)), last, line)
                last = float(m.group(1))
                if " mmio " in line:
                    self.assertIn((m.group(4), m.group(5)), registers, line)
                    pushes += m.group(5) == "CTRL" and " PUSH=1" in line
                else:
                    per_channel[m.group(2)] += int(m.group(5))
                    self.assertEqual(int(m.group(4), 16) - int(m.group(3), 16) + 1, int(m.group(5)), line)
        for ch in per_channel:
            self.assertEqual(per_channel[ch], sum(e["args"]["bytes"] for e in self.tracks[ch]), ch)
        # Every tile the engine ran was pushed by a CTRL write the trace decodes.
        self.assertEqual(pushes, len(self.tracks["engine: tiles"]))

    def test_every_layer_matches_its_dump(self):
        check = self.report["layer_check"]
        self.assertIsNone(check["first_divergence"])
        self.assertEqual(check["layers_checked"], len(self.tracks["firmware: layers"]))


class Options(unittest.TestCase):
    def test_tracing_changes_no_cycle(self):
        traced = os.path.join(TMP, "traced")
        plain = os.path.join(TMP, "plain")
        a = vp_run(traced, "--trace-bus", os.path.join(TMP, "b.txt"), "--timeline", os.path.join(TMP, "t.json"))
        b = vp_run(plain)
        self.assertEqual((a.returncode, b.returncode), (0, 0), a.stderr + b.stderr)
        ra, rb = load(os.path.join(traced, "report.json")), load(os.path.join(plain, "report.json"))
        self.assertEqual(ra["totals"], rb["totals"])
        self.assertEqual([l["cycles"] for l in ra["layers"]], [l["cycles"] for l in rb["layers"]])
        self.assertNotIn("layer_check", rb)  # no dumps, no check

    def test_the_fast_engine_fills_the_engine_tracks_too(self):
        out, timeline = os.path.join(TMP, "fast"), os.path.join(TMP, "fast.json")
        p = vp_run(out, "--engine", "fast", "--timeline", timeline)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        report, doc = load(os.path.join(out, "report.json")), load(timeline)
        self.assertEqual(trace_event_problems(doc), [])
        names = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "thread_name"}
        count = collections.Counter(names[e["tid"]] for e in doc["traceEvents"] if e["ph"] == "X")
        self.assertEqual(count["engine: tiles"], sum(l.get("tiles", 0) or 0 for l in report["layers"]))
        issued = sum(e["args"]["issue_cycles"] for e in doc["traceEvents"]
                     if e["ph"] == "X" and names[e["tid"]] == "engine: compute")
        self.assertEqual(issued, report["stats"]["engine"]["compute_cycles"])

    def test_filter_keeps_the_regions_named(self):
        bus = os.path.join(TMP, "engine_only.txt")
        p = vp_run(os.path.join(TMP, "filtered"), "--trace-bus", bus, "--trace-bus-filter", "engine,dma1")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(bus) as f:
            lines = [l.split() for l in f if not l.startswith("#")]
        self.assertTrue(lines)
        regions = {l[4].split(".")[0] if l[1] == "mmio" else l[2].split(".")[0] for l in lines}
        self.assertEqual(regions, {"engine", "dma1"})

    def test_unknown_filter_region_is_bad_input(self):
        p = vp_run(os.path.join(TMP, "bad"), "--trace-bus", os.path.join(TMP, "x.txt"), "--trace-bus-filter",
                   "engine,dmax")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--trace-bus-filter: no region 'dmax'", p.stderr)
        p = vp_run(os.path.join(TMP, "bad"), "--trace-bus-filter", "engine")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--trace-bus-filter needs --trace-bus", p.stderr)

    def test_unwritable_timeline_is_bad_input(self):
        p = vp_run(os.path.join(TMP, "bad"), "--timeline", os.path.join(TMP, "no", "such", "dir", "t.json"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot write", p.stderr)


class FirstDivergence(unittest.TestCase):
    """The platform names the first layer, tile and output coordinate that differ from the dumps."""

    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(TMP, "dumps")
        p = vp_run(cls.out, "--dump-layers")
        assert p.returncode == 0, p.stdout + p.stderr
        cls.manifest = load(os.path.join(cls.out, "manifest.json"))

    def copy(self, name):
        d = os.path.join(TMP, name)
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(self.out, d)
        return d

    def sim(self, d):
        p = subprocess.run([VP_SIM, "--dir", d, "--firmware", os.path.join(d, "firmware.elf"), "-q"],
                           capture_output=True, text=True)
        return p, load(os.path.join(d, "report.json"))

    def layer(self, name):
        return next(l for l in self.manifest["layers"] if l["name"] == name)

    def test_a_corrupted_dump_names_its_layer_tile_and_coordinate(self):
        d = self.copy("corrupt_dump")
        conv2 = self.layer("conv2")
        path = os.path.join(d, "layers", "%03d_conv2_output.npy" % conv2["index"])
        header, (h, w, c), values = npy_int32(path)
        y, x, ch = 5, 6, 7
        values[(y * w + x) * c + ch] += 1
        with open(path, "wb") as f:
            f.write(header + struct.pack("<%di" % len(values), *values))
        p, report = self.sim(d)
        self.assertEqual(p.returncode, 0, p.stdout)  # the output itself is right
        first = report["layer_check"]["first_divergence"]
        tile_pixels = conv2["engine"]["tile_pixels"]
        self.assertEqual((first["layer"], first["layer_index"], first["y"], first["x"], first["c"]),
                         ("conv2", conv2["index"], y, x, ch))
        self.assertEqual(first["tile"], (y * w + x) // tile_pixels)
        self.assertEqual(first["expected"], first["got"] + 1)
        self.assertEqual(first["mismatches"], 1)
        self.assertIn("first diverging from the layer dumps: layer conv2", p.stdout)

    def test_a_dump_of_another_shape_stops_the_check_not_the_run(self):
        d = self.copy("wrong_dump")
        conv1 = self.layer("conv1")
        path = os.path.join(d, "layers", "%03d_conv1_output.npy" % conv1["index"])
        header = b"{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 1), }"
        header += b" " * (64 - 10 - len(header) - 1) + b"\n"
        with open(path, "wb") as f:
            f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + struct.pack("<i", 0))
        p, report = self.sim(d)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(path.split("/")[-1] + ": (1, 1, 1) int32, but layer conv1 has 2048 integers: the layer "
                      "check stops here", p.stderr)
        self.assertNotIn("layer_check", report)

    def test_a_fail_names_the_first_layer_it_went_wrong_in(self):
        d = self.copy("corrupt_weights")
        layer = self.layer("res1.conv1")
        blob = layer["blob"]
        path = os.path.join(d, "weights.bin")
        with open(path, "r+b") as f:  # the layer's whole blob inverted: weights, bias and scales
            f.seek(blob["offset"])
            data = f.read(blob["bytes"])
            f.seek(blob["offset"])
            f.write(bytes(b ^ 0xFF for b in data))
        p, report = self.sim(d)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertEqual(report["status"], "fail")
        first = report["layer_check"]["first_divergence"]
        self.assertEqual(first["layer"], "res1.conv1")
        self.assertGreater(first["mismatches"], 0)
        self.assertIn("first diverging from the layer dumps: layer res1.conv1", p.stdout)


if __name__ == "__main__":
    unittest.main()
