#!/usr/bin/env bash
# Lints the whole engine with Verilator -Wall at several parameter sets (waivers: rtl/lint_waivers.vlt).
set -euo pipefail
rtl="$(cd "$(dirname "$0")/../rtl" && pwd)"
# Packages first: the modules refer to them.
sources=("$rtl"/dnn_*_pkg.sv)
for f in "$rtl"/dnn_*.sv; do [[ $f == *_pkg.sv ]] || sources+=("$f"); done
sets=(
  "-GRows=8 -GCols=16 -GStreamBits=64"
  "-GRows=4 -GCols=4 -GStreamBits=32 -GActBits=4 -GWeightBits=4 -GAccBits=24"
  "-GRows=7 -GCols=96 -GStreamBits=256 -GAccDepth=512"
  "-GRows=3 -GCols=5 -GStreamBits=128 -GInputBufferBytes=3072 -GOutputBufferBytes=2560 -GAccDepth=64"
  # The widest documented activation datapath (XBits 17).
  "-GRows=4 -GCols=8 -GStreamBits=64 -GActBits=16"
  # The largest documented array (Rows*Cols = 65536 needs 17-bit MAC counts) at widths that are not 4 or 8.
  "-GRows=256 -GCols=256 -GStreamBits=64 -GActBits=6 -GWeightBits=3"
)
for params in "${sets[@]}"; do
  # shellcheck disable=SC2086
  verilator --lint-only -Wall -I"$rtl" "$rtl/lint_waivers.vlt" "${sources[@]}" --top-module dnn_engine $params
  echo "lint clean: dnn_engine $params"
done
