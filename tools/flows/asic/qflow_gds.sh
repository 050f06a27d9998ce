#!/usr/bin/env bash
# The engine at a tiny shape to GDSII with no commercial tool (docs/asic.md, "GDSII"): Debian's qflow chain
# on the OSU 0.18 um kit, Yosys synthesis, graywolf placement, qrouter routing, magic for the layout, DRC
# and GDS. Buffers stay flip-flops here (there are no SRAM macros for the kit). Each qflow stage runs on
# its own under a time limit; WORK/gds.json records how far the chain got and why it stopped:
#   {top, shape, cells, stages: [{name, status: done|failed|timeout, seconds}], reached, gds, gds_bytes,
#    drc_errors}
#   tools/flows/asic/qflow_gds.sh WORK [STAGE_TIMEOUT_S] [RTL PARAMETERS: "Rows 2 Cols 3 ..."] [TOP]
# TOP is dnn_engine, or one of its modules (rtl/dnn_engine.f) with that module's parameters: the whole
# engine's shape-independent control is about 150,000 cells, which graywolf places in hours, so tools/bench
# also takes the PE array alone through the whole chain.
set -uo pipefail
work=${1:?usage: qflow_gds.sh WORK [STAGE_TIMEOUT_S] [PARAMS] [TOP]}
limit=${2:-3600}
params=${3:-Rows 2 Cols 3 StreamBits 32 ActBits 4 WeightBits 4 AccBits 16 AccDepth 8 InputBufferBytes 64 WeightBufferBytes 64 OutputBufferBytes 64}
top=${4:-dnn_engine}
[[ $top =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "qflow_gds: TOP must be a module name, got '$top'" >&2; exit 2; }
rtl="$(cd "$(dirname "$0")/../../../rtl" && pwd)"
command -v qflow >/dev/null || { echo "qflow_gds: qflow missing (apt-get install qflow qflow-tech-osu018)" >&2; exit 2; }

rm -rf "$work" && mkdir -p "$work"/{source,synthesis,layout,log}
work="$(cd "$work" && pwd)"
# The sources in rtl/dnn_engine.f's order (the one file list), named after TOP (qflow looks for TOP.fl);
# qflow reads each with read_verilog -sv.
grep -v -e '^//' -e '^[[:space:]]*$' "$rtl/dnn_engine.f" | sed "s|^|$rtl/|" >"$work/source/$top.fl"
chparams=$(awk '{for (i = 1; i < NF; i += 2) printf " -chparam %s %s", $i, $(i + 1)}' <<<"$params")
# Appended by qflow's synthesize after it reads the sources: the shape; qflow then maps to the cells.
cat >"$work/source/shape.ys" <<EOF
hierarchy -check -top $top$chparams
synth -top $top -flatten
EOF
cat >"$work/project_vars.sh" <<EOF
set source_file_list = $work/source/$top.fl
set is_system_verilog = 1
set yosys_script = $work/source/shape.ys
EOF

cd "$work" || exit 1
stages=()
reached=none
# gdsii before drc: qflow writes no GDS once a DRC run has reported errors; the DRC then checks that layout.
for stage in synthesize place route migrate gdsii drc; do
  start=$(date +%s)
  timeout "$limit" qflow "$stage" -T osu018 "$top" >"log/qflow_$stage.out" 2>&1
  rc=$?
  seconds=$(($(date +%s) - start))
  status=done
  [ $rc -eq 124 ] && status=timeout
  [ $rc -ne 0 ] && [ $rc -ne 124 ] && status=failed
  # qflow exits 0 after some failures: its log's last line says so.
  grep -q -e "Premature exit" -e "stopped on error" "log/qflow_$stage.out" && status=failed
  stages+=("{\"name\": \"$stage\", \"status\": \"$status\", \"seconds\": $seconds}")
  echo "qflow $stage: $status (${seconds} s)"
  # DRC errors are a finding (their count is in gds.json), not a stop.
  [ "$status" = done ] || [ "$stage" = drc ] || break
  reached=$stage
done

gds="$work/layout/$top.gds"
drc=$(grep -h "drc =" log/drc.log 2>/dev/null | tail -1 | awk '{print $3}')
# Yosys's count of the mapped netlist (before qflow's fanout buffering), once synthesis has finished.
cells=""
[ "$reached" = none ] || cells=$(grep -h "Number of cells:" log/synth.log 2>/dev/null | tail -1 | awk '{print $4}')
{
  echo "{"
  echo "  \"top\": \"$top\","
  echo "  \"shape\": \"$params\","
  echo "  \"cells\": ${cells:-null},"
  echo "  \"stages\": [$(IFS=,; echo "${stages[*]}")],"
  echo "  \"reached\": \"$reached\","
  if [ -f "$gds" ]; then echo "  \"gds\": \"$gds\", \"gds_bytes\": $(stat -c %s "$gds"),"; else echo "  \"gds\": null,"; fi
  echo "  \"drc_errors\": ${drc:-null}"
  echo "}"
} >"$work/gds.json"
cat "$work/gds.json"
