#!/usr/bin/env bash
# The CI's Yosys synth_xilinx of the engine: first the PE array of a 2x3 engine must hold 2*3 multipliers
# (tools/rtl_synth.sh multipliers), then fpga_resources on that engine (32-bit streams, a 2 KiB weight
# buffer) with an empty flow cache: Yosys synth_xilinx runs, the multipliers become DSPs, memories block
# RAM, the estimate fits the PYNQ-Z2; the second call answers from the cache with the
# same figures.
#   check_fpga_resources.sh FPGA_RESOURCES TMP_DIR      (exit 77: yosys is not installed, the test skips)
set -euo pipefail
tool=$1 tmp=$2
command -v yosys >/dev/null || { echo "yosys is not installed (tools/install-deps.sh): skipped"; exit 77; }
"$(dirname "$0")/../../tools/rtl_synth.sh" multipliers 2 3
export DNNVP_CACHE_DIR=$tmp/flow-cache
rm -rf "$DNNVP_CACHE_DIR"
mkdir -p "$tmp"
args=(--set rows=2 --set cols=3 --set stream_bits=32 --set input_buffer_bytes=512 --set weight_buffer_bytes=2048
      --set output_buffer_bytes=384 --set accumulator_depth=16 --part pynq-z2)
"$tool" "${args[@]}" >"$tmp/first.json"
"$tool" "${args[@]}" --cached-only >"$tmp/second.json"
/usr/bin/python3 - "$tmp/first.json" "$tmp/second.json" <<'EOF2'
import json, sys
first, second = (json.load(open(f)) for f in sys.argv[1:3])
print(json.dumps(first))
checks = [
    (not first["cached"] and second["cached"], "the first call runs Yosys, the second reads the cache"),
    (all(first[k] == second[k] for k in ("lut", "ff", "dsp", "bram36", "uram")), "the cached figures are the same"),
    (first["dsp"] >= 6, "each of the 2x3 PE multipliers is a DSP"),
    (first["bram36"] >= 0.5, "memories become block RAM"),
    (first["lut"] > 0 and first["ff"] > 0, "logic and registers"),
    (first["part"] == "pynq-z2" and first["fits"], "it fits the PYNQ-Z2"),
]
failed = [what for ok, what in checks if not ok]
for what in failed:
    print("FAILED:", what)
sys.exit(1 if failed else 0)
EOF2
