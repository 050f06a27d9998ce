#!/usr/bin/env bash
# The CI's Yosys synth_xilinx of the engine: first the PE array of a 4x8 engine must hold 4*8 multipliers
# (tools/rtl_synth.sh multipliers), then fpga_resources on that engine (64-bit streams, 2 KiB buffers; about
# 3 minutes) with an empty flow cache: Yosys synth_xilinx runs, the multipliers become DSPs, memories block
# RAM, the estimate fits the PYNQ-Z2; the second call answers from the cache with the
# same figures.
#   check_fpga_resources.sh FPGA_RESOURCES TMP_DIR      (exit 77: yosys is not installed, the test skips)
set -euo pipefail
tool=$1 tmp=$2
command -v yosys >/dev/null || { echo "yosys is not installed (tools/install-deps.sh): skipped"; exit 77; }
"$(dirname "$0")/../../tools/rtl_synth.sh" multipliers 4 8
export DNNVP_CACHE_DIR=$tmp/flow-cache
rm -rf "$DNNVP_CACHE_DIR"
mkdir -p "$tmp"
args=(--set rows=4 --set cols=8 --set stream_bits=64 --set input_buffer_bytes=2048 --set weight_buffer_bytes=2048
      --set output_buffer_bytes=1024 --set accumulator_depth=32 --part pynq-z2)
"$tool" "${args[@]}" >"$tmp/first.json"
"$tool" "${args[@]}" --cached-only >"$tmp/second.json"
/usr/bin/python3 - "$tmp/first.json" "$tmp/second.json" <<'EOF2'
import json, sys
first, second = (json.load(open(f)) for f in sys.argv[1:3])
print(json.dumps(first))
checks = [
    (not first["cached"] and second["cached"], "the first call runs Yosys, the second reads the cache"),
    (all(first[k] == second[k] for k in ("lut", "ff", "dsp", "bram36", "uram")), "the cached figures are the same"),
    (first["dsp"] >= 32, "each of the 4x8 PE multipliers is a DSP"),
    (first["bram36"] >= 0.5, "memories become block RAM"),
    (first["lut"] > 0 and first["ff"] > 0, "logic and registers"),
    (first["part"] == "pynq-z2" and first["fits"], "it fits the PYNQ-Z2"),
]
failed = [what for ok, what in checks if not ok]
for what in failed:
    print("FAILED:", what)
sys.exit(1 if failed else 0)
EOF2
