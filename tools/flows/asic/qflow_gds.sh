#!/usr/bin/env bash
# The engine at a tiny shape to GDSII with no commercial tool (docs/asic.md, "GDSII"): Debian's qflow chain
# on the OSU 0.18 um kit, Yosys synthesis, graywolf placement, qrouter routing, magic for the layout, DRC
# and GDS. Buffers stay flip-flops here (there are no SRAM macros for the kit). Each qflow stage runs on
# its own under a time limit; WORK/gds.json records how far the chain got and why it stopped:
#   {shape, stages: [{name, status: done|failed|timeout, seconds}], reached, gds, gds_bytes, drc_errors}
#   tools/flows/asic/qflow_gds.sh WORK [STAGE_TIMEOUT_S] [RTL PARAMETERS: "Rows 2 Cols 3 ..."]
set -uo pipefail
work=${1:?usage: qflow_gds.sh WORK [STAGE_TIMEOUT_S] [PARAMS]}
limit=${2:-3600}
params=${3:-Rows 2 Cols 3 StreamBits 32 ActBits 4 WeightBits 4 AccBits 16 AccDepth 16 InputBufferBytes 512 WeightBufferBytes 64 OutputBufferBytes 384}
rtl="$(cd "$(dirname "$0")/../../../rtl" && pwd)"
command -v qflow >/dev/null || { echo "qflow_gds: qflow missing (apt-get install qflow qflow-tech-osu018)" >&2; exit 2; }

rm -rf "$work" && mkdir -p "$work"/{source,synthesis,layout,log}
work="$(cd "$work" && pwd)"
# The sources in rtl/dnn_engine.f's order (the one file list); qflow reads each with read_verilog -sv.
grep -v -e '^//' -e '^[[:space:]]*$' "$rtl/dnn_engine.f" | sed "s|^|$rtl/|" >"$work/source/dnn_engine.fl"
chparams=$(awk '{for (i = 1; i < NF; i += 2) printf " -chparam %s %s", $i, $(i + 1)}' <<<"$params")
# Appended by qflow's synthesize after it reads the sources: the shape; qflow then maps to the cells.
cat >"$work/source/shape.ys" <<EOF
hierarchy -check -top dnn_engine$chparams
synth -top dnn_engine -flatten
EOF
cat >"$work/project_vars.sh" <<EOF
set source_file_list = $work/source/dnn_engine.fl
set is_system_verilog = 1
set yosys_script = $work/source/shape.ys
EOF

cd "$work" || exit 1
stages=()
reached=none
for stage in synthesize place route migrate drc gdsii; do
  start=$(date +%s)
  timeout "$limit" qflow "$stage" -T osu018 dnn_engine >"log/qflow_$stage.out" 2>&1
  rc=$?
  seconds=$(($(date +%s) - start))
  status=done
  [ $rc -eq 124 ] && status=timeout
  [ $rc -ne 0 ] && [ $rc -ne 124 ] && status=failed
  # qflow exits 0 after some failures: its log's last line says so.
  grep -q -e "Premature exit" -e "stopped on error" "log/qflow_$stage.out" && status=failed
  stages+=("{\"name\": \"$stage\", \"status\": \"$status\", \"seconds\": $seconds}")
  echo "qflow $stage: $status (${seconds} s)"
  # DRC errors are a finding, not a stop: the GDS is still written.
  [ "$status" = done ] || [ "$stage" = drc ] || break
  reached=$stage
done

gds="$work/layout/dnn_engine.gds"
drc=$(grep -h "drc =" log/drc.log 2>/dev/null | tail -1 | awk '{print $3}')
{
  echo "{"
  echo "  \"shape\": \"$params\","
  echo "  \"stages\": [$(IFS=,; echo "${stages[*]}")],"
  echo "  \"reached\": \"$reached\","
  if [ -f "$gds" ]; then echo "  \"gds\": \"$gds\", \"gds_bytes\": $(stat -c %s "$gds"),"; else echo "  \"gds\": null,"; fi
  echo "  \"drc_errors\": ${drc:-null}"
  echo "}"
} >"$work/gds.json"
cat "$work/gds.json"
