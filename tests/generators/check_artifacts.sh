#!/usr/bin/env bash
# Runs vp_gen --dump-layers on a scenario and checks that every artefact is there and non-empty,
# and that every layer has its output dump (and weights, bias, multiplier, shift where it has a weight blob).
set -euo pipefail
vp_gen=$1 scenario=$2 out=$3
rm -rf "$out"
"$vp_gen" "$scenario" -o "$out" --dump-layers -q
for f in hw.json params.svh config.tcl model.h weights.bin input.bin expected.bin manifest.json layers/input.npy; do
  [ -s "$out/$f" ] || { echo "missing or empty: $out/$f" >&2; exit 1; }
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
m = json.load(open(os.path.join(out, "manifest.json")))
files = set(os.listdir(os.path.join(out, "layers")))
missing = []
for l in m["layers"]:
    prefix = "%03d_%s_" % (l["index"], l["name"])  # names are file-safe (docs/scenarios.md, Names)
    kinds = ["output"] + (["weights", "bias", "multiplier", "shift"] if "blob" in l else []) + (["add"] if l["type"] == "add" else [])
    missing += [prefix + k + ".npy" for k in kinds if prefix + k + ".npy" not in files]
assert not missing, "missing dumps: %s" % missing[:5]
sizes = {f: os.path.getsize(os.path.join(out, f)) for f in ("weights.bin", "input.bin", "expected.bin")}
assert sizes == m["files"], (sizes, m["files"])
print("%s: %d layers, every artefact and layer dump present" % (m["scenario"]["name"], len(m["layers"])))
PY
rm -rf "$out"
