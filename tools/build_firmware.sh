#!/usr/bin/env bash
# Builds the DNN application (firmware/app/dnn + runtime + drivers + HAL + startup) for one scenario:
#
#   tools/build_firmware.sh OUT_DIR [BUILD_DIR]
#
# OUT_DIR is a vp_gen output directory (`vp_gen SCENARIO -o OUT_DIR`); the firmware is compiled against
# OUT_DIR/model.h and written to OUT_DIR/firmware.elf (+ firmware.map). BUILD_DIR (default: $DNNVP_BUILD_DIR
# or ./build) is a configured dnn-vp build tree; the generated dnnvp_memory_map.h is taken from it (built
# there if missing). Compiler, flags, startup and linker script: firmware/flags.txt, the list
# cmake/RiscvFirmware.cmake reads too. Extra compiler flags: $CFLAGS. See docs/firmware.md.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tool=build_firmware.sh
# shellcheck source=tools/firmware_lists.sh
source "$repo/tools/firmware_lists.sh"
read_out_and_build_args "$@"
# The firmware reservation at the DRAM base is the scenario's dram.firmware_mib (hw.json, written by vp_gen
# beside model.h): the linker puts the stack at its top, just below the model.
fw_mib=$(sed -n 's/.*"firmware_mib": *\([0-9][0-9]*\).*/\1/p' "$out/hw.json" 2>/dev/null || true)
[[ -n $fw_mib ]] || { echo "build_firmware.sh: $out/hw.json has no dram.firmware_mib (run vp_gen SCENARIO -o $out first)" >&2; exit 1; }

read_firmware_flags CC SPECS_DIRS MARCH MABI OPT CFLAGS LDFLAGS STARTUP_SOURCES INCLUDE_DIRS LINKER_SCRIPT APP_INCLUDE_DIRS

gcc=${DNNVP_RISCV_GCC:-${flag[CC]}}
command -v "$gcc" >/dev/null || { echo "build_firmware.sh: $gcc not found (apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)" >&2; exit 1; }
specs=
for d in ${flag[SPECS_DIRS]}; do
  [[ -f $d/picolibc.specs ]] && { specs=$d/picolibc.specs; break; }
done
[[ -n $specs ]] || { echo "build_firmware.sh: picolibc.specs not found (apt-get install picolibc-riscv64-unknown-elf)" >&2; exit 1; }

mm_dir=$(memory_map_include_dir "$build")

sources=()
for f in ${flag[STARTUP_SOURCES]}; do sources+=("$fw/$f"); done
read_app_sources
sources+=("${app_sources[@]}")
includes=(-I"$out")
for d in ${flag[APP_INCLUDE_DIRS]} ${flag[INCLUDE_DIRS]}; do includes+=(-I"$fw/$d"); done
includes+=(-I"$mm_dir")
# The same order as cmake/RiscvFirmware.cmake's compile command: gcc records it in the debug information.
# shellcheck disable=SC2086
"$gcc" -march="${flag[MARCH]}" -mabi="${flag[MABI]}" --specs="$specs" ${flag[OPT]} ${flag[CFLAGS]} ${CFLAGS:-} \
  "${includes[@]}" ${flag[LDFLAGS]} -T "$fw/${flag[LINKER_SCRIPT]}" -Wl,-Map="$out/firmware.map" \
  -Wl,--defsym=__dnnvp_fw_size=$((fw_mib << 20)) "${sources[@]}" -o "$out/firmware.elf"
echo "build_firmware.sh: $out/firmware.elf"
