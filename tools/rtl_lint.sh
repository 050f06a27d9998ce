#!/usr/bin/env bash
# Lints the whole engine with Verilator -Wall at the lint shapes of rtl/engine_shapes.json (waivers:
# rtl/lint_waivers.vlt). tools/engine_shapes lists their parameters: pass its path as $1 (ctest passes the
# one CMake compiled), or this compiles it into a temporary directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rtl="$root/rtl"
tool="${1:-}"
if [[ -z $tool ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  tool="$tmp/engine_shapes"
  "${CXX:-c++}" -std=c++17 -O1 -I"$root/models/base" "$root/tools/engine_shapes.cpp" \
    "$root/models/base/engine_shape.cpp" -o "$tool"
fi
lint_sets="$("$tool" "$rtl/engine_shapes.json" lint)"
mapfile -t sets <<<"$lint_sets"
# The engine's sources in compile order: rtl/dnn_engine.f, the one file list.
sources=()
while read -r f; do sources+=("$rtl/$f"); done < <(grep -v -e '^//' -e '^[[:space:]]*$' "$rtl/dnn_engine.f")
for params in "${sets[@]}"; do
  # shellcheck disable=SC2086
  verilator --lint-only -Wall -I"$rtl" "$rtl/lint_waivers.vlt" "${sources[@]}" --top-module dnn_engine $params
  echo "lint clean: dnn_engine $params"
done
