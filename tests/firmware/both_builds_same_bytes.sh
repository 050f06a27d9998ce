#!/usr/bin/env bash
# Checks that tools/build_firmware.sh and CMake (cmake/RiscvFirmware.cmake) build the DNN application into
# the same loaded bytes (.text, .rodata, .data): both take the compiler, flags, startup and include
# directories from firmware/flags.txt, so a flag spelled in one of them only shows here.
#
#   both_builds_same_bytes.sh CMAKE_ELF MODEL_DIR BUILD_DIR OBJDUMP
#
# CMAKE_ELF is the application CMake built against MODEL_DIR (a vp_gen output directory whose
# dram.firmware_mib is CMake's default reservation, 16 MiB, as tiny_cnn's is).
set -euo pipefail
[[ $# -eq 4 ]] || { echo "usage: $0 CMAKE_ELF MODEL_DIR BUILD_DIR OBJDUMP" >&2; exit 2; }
elf=$1 model=$2 build=$3 objdump=$4
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$model/model.h" "$model/hw.json" "$tmp/"
"$repo/tools/build_firmware.sh" "$tmp" "$build" >/dev/null
# The section dumps without objdump's first lines (which name the file).
contents() { "$objdump" -s -j .text -j .rodata -j .data "$1" | tail -n +3; }
if ! diff <(contents "$elf") <(contents "$tmp/firmware.elf") > "$tmp/diff"; then
  echo "build_firmware.sh and CMake built different bytes for $model/model.h:" >&2
  head -20 "$tmp/diff" >&2
  exit 1
fi
echo "build_firmware.sh and CMake: the same .text, .rodata and .data"
