#!/usr/bin/env bash
# Synthesises the engine with Yosys at a small shape and checks that the PE array is real: before
# technology mapping the dnn_pe_array module must hold Rows*Cols multipliers. Then runs the full
# generic (or Xilinx) flow and prints the cell report; `multipliers` stops after the check (the CI's
# resource-estimate test runs it: tests/flows/check_fpga_resources.sh).
#   tools/rtl_synth.sh [generic|xilinx|multipliers] [ROWS COLS]
set -euo pipefail
flow=${1:-generic} rows=${2:-2} cols=${3:-3}
rtl="$(cd "$(dirname "$0")/../rtl" && pwd)"
# The engine's sources in compile order: rtl/dnn_engine.f, the one file list.
sources=()
while read -r f; do sources+=("$rtl/$f"); done < <(grep -v -e '^//' -e '^[[:space:]]*$' "$rtl/dnn_engine.f")
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
params="-chparam Rows $rows -chparam Cols $cols -chparam StreamBits 32 -chparam InputBufferBytes 512"
params+=" -chparam WeightBufferBytes 64 -chparam OutputBufferBytes 384 -chparam AccDepth 16"
read="read_verilog -sv -I$rtl ${sources[*]}; hierarchy -check -top dnn_engine $params"

yosys -q -l "$log/coarse.log" -p "$read; proc; opt -fast; wreduce; stat" >/dev/null
muls=$(awk '/^=== .*dnn_pe_array/ {in_pe=1} /^=== / && !/dnn_pe_array/ {in_pe=0} in_pe && /\$mul/ {n+=$2} END {print n+0}' "$log/coarse.log")
echo "dnn_pe_array: $muls multipliers for a ${rows}x${cols} array"
[ "$muls" -eq $((rows * cols)) ] || { echo "expected $((rows * cols)) multipliers in the PE array" >&2; exit 1; }

case "$flow" in
  multipliers) exit 0 ;;
  generic) synth="synth -top dnn_engine -flatten" ;;
  xilinx) synth="synth_xilinx -top dnn_engine -flatten" ;;
  *) echo "usage: rtl_synth.sh [generic|xilinx|multipliers] [ROWS COLS]" >&2; exit 2 ;;
esac
yosys -q -l "$log/synth.log" -p "$read; $synth; stat" >/dev/null
awk '/Printing statistics/ {p=1} p' "$log/synth.log" | grep -E "Number of cells|DSP|MULT|CARRY|LUT|FD|BRAM|RAM" | head -20
echo "synthesis ($flow, ${rows}x${cols}) clean"
