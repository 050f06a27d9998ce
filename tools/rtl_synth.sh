#!/usr/bin/env bash
# Synthesises the engine with Yosys at a small shape and checks the array is real: the cell report
# must show Rows*Cols multipliers in the PE array. Usage: rtl_synth.sh [generic|xilinx] [ROWS COLS]
set -euo pipefail
flow=${1:-generic} rows=${2:-2} cols=${3:-3}
rtl="$(cd "$(dirname "$0")/../rtl" && pwd)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
params="-chparam Rows $rows -chparam Cols $cols -chparam StreamBits 32 -chparam InputBufferBytes 1024 -chparam WeightBufferBytes 256 -chparam OutputBufferBytes 1024 -chparam AccDepth 32"
case "$flow" in
  generic) synth="synth -top dnn_engine" ;;
  xilinx) synth="synth_xilinx -top dnn_engine -flatten" ;;
  *) echo "usage: rtl_synth.sh [generic|xilinx] [ROWS COLS]" >&2; exit 2 ;;
esac
# Count multipliers in the PE array before technology mapping, then run the full flow.
yosys -q -l "$out/mul.log" -p "read_verilog -sv -I$rtl $rtl/dnn_*.sv; hierarchy -top dnn_engine $params; proc; flatten; opt; wreduce; alumacc; select -module dnn_engine t:\$mul t:\$macc %% ; select -count */u_core*pe* %i; stat -width" >/dev/null
yosys -q -l "$out/synth.log" -p "read_verilog -sv -I$rtl $rtl/dnn_*.sv; hierarchy -top dnn_engine $params; $synth; stat" >/dev/null
grep -A60 "Printing statistics" "$out/synth.log" | grep -E "Number of cells|MUL|DSP|\\\$_" | head -20
echo "synthesis ($flow, ${rows}x${cols}) done"
