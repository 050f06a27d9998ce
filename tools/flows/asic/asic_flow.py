#!/usr/bin/python3
"""Area and timing of the engine at one shape on the OSU 0.18 um standard cells (docs/asic.md).

    asic_flow.py (--config OUT/config.tcl | --params "Rows 4 Cols 8 ...") --out DIR [--period-ns P]

Runs Yosys (synth_osu018.tcl: the engine mapped to the library, buffers taken out as SRAM macros), qflow's
blifFanout (high-fanout nets buffered) and Yosys again (netlist_osu018.tcl: cell area, netlist), adds the
macros' area from the SRAM model of generators/flows/asic_tech.json, runs OpenSTA (sta_osu018.tcl) on the
mapped netlist and writes DIR/asic.json (report.json's `asic` section) and prints it. Exit status 2 for bad
input (a missing or malformed config.tcl or --params, a parameter missing or unknown to dnn_engine), 1 when a
tool fails. Every parameter of dnn_engine must be given: the RTL's own defaults (a 128 KiB input buffer) are
not the scenarios' (models/base/engine_shape.h), so a partial list would measure an engine nobody asked for.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
TECH_FILE = ROOT / "generators" / "flows" / "asic_tech.json"
ENGINE_RTL = ROOT / "rtl" / "dnn_engine.sv"
# config.tcl's settings that are not parameters of dnn_engine.
NOT_RTL = {"ClockKhz", "ClockMhz"}


class BadInput(Exception):
    pass


def read_config_tcl(path):
    """config.tcl's `set Name Value` lines: the engine's parameters and ClockMhz."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as e:
        raise BadInput(f"{path}: {e.strerror}")
    settings = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"set\s+(\w+)\s+(\S+)", line)
        if not m:
            raise BadInput(f"{path}:{number}: expected `set Name Value`, got '{line}'")
        settings[m.group(1)] = m.group(2)
    if "Rows" not in settings or "Cols" not in settings:
        raise BadInput(f"{path}: no Rows or Cols: not a vp_gen config.tcl")
    return settings


def parse_params(text):
    words = text.split()
    if len(words) % 2:
        raise BadInput(f"--params: expected name/value pairs, got '{text}'")
    params = dict(zip(words[0::2], words[1::2]))
    for name, value in params.items():
        if not value.isdigit():
            raise BadInput(f"--params: {name}: expected a non-negative integer, got '{value}'")
    return params


def engine_parameters():
    """dnn_engine's parameter names, in the RTL's order."""
    return re.findall(r"^\s*parameter\s+int\s+unsigned\s+(\w+)", ENGINE_RTL.read_text(), re.MULTILINE)


def check_complete(params, source):
    """Every parameter of dnn_engine given, and no other."""
    names = engine_parameters()
    unknown = [k for k in params if k not in names]
    if unknown:
        raise BadInput(f"{source}: {', '.join(unknown)}: not a parameter of dnn_engine ({ENGINE_RTL.name}: "
                       f"{' '.join(names)})")
    missing = [k for k in names if k not in params]
    if missing:
        raise BadInput(f"{source}: missing {', '.join(missing)}: give every parameter of dnn_engine (the RTL's "
                       f"defaults are not the scenarios'), or --config OUT/config.tcl from vp_gen")


def run(cmd, env, log):
    """Runs a tool with its output in `log`; a failure names the tool and the log's last lines."""
    with open(log, "w") as out:
        done = subprocess.run(cmd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = Path(log).read_text().splitlines()[-15:]
        raise RuntimeError(f"{cmd[0]} failed (exit {done.returncode}); {log}:\n" + "\n".join(tail))


def parse_macros(text):
    """synth_osu018.tcl's dump of the memories it took out: name, words, width."""
    macros = []
    for block in re.split(r"\n(?=\s*cell \$mem_v2 )", text):
        m = re.search(r"cell \$mem_v2 \\(\S+)", block)
        if not m:
            continue
        p = dict(re.findall(r"parameter \\(\w+) (\S+)", block))
        macros.append({"name": m.group(1), "words": int(p["SIZE"]), "width": int(p["WIDTH"])})
    return macros


def parse_stat(text):
    """`stat -liberty`'s cell counts by type and chip area."""
    counts = dict((t, int(n)) for t, n in re.findall(r"^\s+([A-Z][A-Z0-9_]*)\s+(\d+)\s*$", text, re.M))
    area = re.search(r"Chip area for module '\\?dnn_engine': ([0-9.]+)", text)
    if not area:
        raise RuntimeError("Yosys stat printed no chip area")
    return counts, float(area.group(1))


def liberty_cell_area(liberty, cell):
    m = re.search(r"cell \(" + re.escape(cell) + r"\)\s*\{\s*area\s*:\s*([0-9.]+)", Path(liberty).read_text())
    if not m:
        raise RuntimeError(f"{liberty}: no cell {cell}")
    return float(m.group(1))


def sram_area(macros, model, port_cell_um2):
    """Each macro's area by the SRAM model (asic_tech.json "sram")."""
    for m in macros:
        address_bits = max(1, math.ceil(math.log2(m["words"])))
        m["bits"] = m["words"] * m["width"]
        m["area_um2"] = m["bits"] * model["bit_um2"] + (address_bits + 2 * m["width"]) * port_cell_um2
    return sum(m["area_um2"] for m in macros)


def register(instance):
    """The RTL register of a flip-flop netlist_osu018.tcl named after its output wire: u_regs.count_q[3]."""
    return re.sub(r"\\+[A-Z][A-Z0-9]*$", "", instance)


def parse_sta(text, period_ns):
    """report_checks' worst path (start, end) and report_worst_slack's slack."""
    start = re.search(r"^Startpoint: (\S+)", text, re.M)
    end = re.search(r"^Endpoint: (\S+)", text, re.M)
    slack = re.search(r"^worst slack (-?[0-9.]+)", text, re.M)
    if not (start and end and slack):
        raise RuntimeError("OpenSTA reported no constrained path")
    path_ns = period_ns - float(slack.group(1))
    return {"from": register(start.group(1)), "to": register(end.group(1)), "slack_ns": float(slack.group(1)),
            "period_ns": period_ns}, path_ns


def scaling(tech, area_mm2, fmax_mhz):
    lib = tech["library"]["node_nm"]
    rows = {}
    for node in tech["scaling"]["nodes_nm"]:
        f = node / lib
        rows[f"{node}nm"] = {"area_mm2": round(area_mm2 * f * f, 4), "fmax_mhz": round(fmax_mhz / f, 1)}
    return rows


def buffer_fanout(out, liberty, lib):
    """qflow's blifFanout, as qflow runs it: buffers every net of too high a load (flip-flop outputs too,
    which ABC sees as inputs) and resizes gates, until it changes nothing; the clock is left to CTS."""
    blif_fanout = "/usr/lib/qflow/bin/blifFanout"
    if not Path(blif_fanout).exists():
        raise RuntimeError(f"{blif_fanout} missing: install qflow (tools/install-deps.sh)")
    (out / "nofanout").write_text("clk_i\n")
    buffer = lib["buffer"]
    current = out / "mapped.blif"
    with open(out / "fanout.log", "w") as log:
        for step in range(20):
            nxt = out / f"fanout{step % 2}.blif"
            done = subprocess.run([blif_fanout, *lib["fanout_options"].split(), "-I", str(out / "nofanout"),
                                   "-s", "nullstring", "-p", liberty, "-b", buffer["cell"], "-i", buffer["input"],
                                   "-o", buffer["output"], str(current), str(nxt)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            log.write(done.stdout)
            changed = re.search(r"changed:\s*(\d+)", done.stdout)
            if not nxt.exists() or not changed:
                raise RuntimeError(f"blifFanout failed (exit {done.returncode}); {out / 'fanout.log'}")
            current = nxt
            if int(changed.group(1)) == 0:
                break
    current.replace(out / "buffered.blif")
    for step in range(2):
        (out / f"fanout{step}.blif").unlink(missing_ok=True)


def flow(params, out, period_ns, tech):
    lib = tech["library"]
    liberty = str(Path(lib["dir"]) / lib["liberty"])
    if not Path(liberty).exists():
        raise RuntimeError(f"{liberty} missing: install qflow-tech-osu018 (tools/install-deps.sh)")
    out.mkdir(parents=True, exist_ok=True)
    env = {"ASIC_RTL": str(ROOT / "rtl"), "ASIC_OUT": str(out), "ASIC_LIBERTY": liberty,
           "ASIC_MACRO_MIN_WORDS": str(tech["sram"]["min_words"]), "ASIC_PERIOD_PS": str(round(period_ns * 1000)),
           "ASIC_PARAMS": " ".join(f"{k} {v}" for k, v in params.items())}
    buffer = lib["buffer"]
    env["ASIC_BUFFER"] = f"{buffer['cell']} {buffer['input']} {buffer['output']}"
    run(["yosys", "-q", "-c", str(HERE / "synth_osu018.tcl")], env, out / "yosys.log")
    buffer_fanout(out, liberty, lib)
    env = {"ASIC_LIBERTY": liberty, "ASIC_BLIF": str(out / "buffered.blif"), "ASIC_OUT": str(out)}
    run(["yosys", "-q", "-c", str(HERE / "netlist_osu018.tcl")], env, out / "yosys_netlist.log")
    counts, logic_um2 = parse_stat((out / "stat.txt").read_text())
    macros = parse_macros((out / "macros.txt").read_text())
    port_cell_um2 = liberty_cell_area(liberty, tech["sram"]["port_cell"])
    sram_um2 = sram_area(macros, tech["sram"], port_cell_um2)

    env = {"ASIC_LIBERTY": liberty, "ASIC_NETLIST": str(out / "netlist.v"), "ASIC_PERIOD_NS": str(period_ns)}
    run(["sta", "-no_init", "-no_splash", "-exit", str(HERE / "sta_osu018.tcl")], env, out / "sta.log")
    path, path_ns = parse_sta((out / "sta.log").read_text(), period_ns)

    area_um2 = logic_um2 + sram_um2
    fmax_mhz = 1000.0 / path_ns
    return {
        "library": lib["name"],
        "parameters": {k: int(v) for k, v in params.items()},
        "area_um2": round(area_um2, 1),
        "area_mm2": round(area_um2 / 1e6, 4),
        "logic_area_um2": round(logic_um2, 1),
        "sram_area_um2": round(sram_um2, 1),
        "cells": sum(counts.values()),
        "cell_counts": counts,
        "flip_flops": sum(n for t, n in counts.items() if t.startswith("DFF")),
        "sram": {"model": tech["sram"]["about"], "bit_um2": tech["sram"]["bit_um2"],
                 "source": tech["sram"]["bit_um2_source"], "macros": macros},
        "critical_path_ns": round(path_ns, 3),
        "fmax_mhz": round(fmax_mhz, 1),
        "critical_path": path,
        "scaling_note": "ESTIMATE, classical scaling from OSU 0.18 um: " + tech["scaling"]["about"],
        "scaling": scaling(tech, area_um2 / 1e6, fmax_mhz),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", help="vp_gen's config.tcl")
    src.add_argument("--params", help='the engine\'s RTL parameters: "Rows 4 Cols 8 ..."')
    ap.add_argument("--out", required=True, help="working directory; asic.json is written there")
    ap.add_argument("--period-ns", type=float, help="clock period for the slack (default: config.tcl's clock)")
    a = ap.parse_args()
    tech = json.loads(TECH_FILE.read_text())
    try:
        if a.config:
            settings = read_config_tcl(a.config)
            params = {k: v for k, v in settings.items() if k not in NOT_RTL}
            check_complete(params, a.config)
            period = 1000.0 / float(settings["ClockMhz"]) if "ClockMhz" in settings else None
        else:
            params, period = parse_params(a.params), None
            check_complete(params, "--params")
        period = a.period_ns or period or tech["timing"]["default_period_ns"]
    except BadInput as e:
        print(f"asic_flow: {e}", file=sys.stderr)
        return 2
    try:
        result = flow(params, Path(a.out), period, tech)
    except RuntimeError as e:
        print(f"asic_flow: {e}", file=sys.stderr)
        return 1
    text = json.dumps(result, indent=2) + "\n"
    tmp = Path(a.out) / "asic.json.tmp"
    tmp.write_text(text)
    tmp.replace(Path(a.out) / "asic.json")
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
