#!/usr/bin/env bash
# Builds the DNN application (firmware/app/dnn + runtime + drivers + HAL + startup) for one scenario:
#
#   tools/build_firmware.sh OUT_DIR [BUILD_DIR]
#
# OUT_DIR is a vp_gen output directory (`vp_gen SCENARIO -o OUT_DIR`); the firmware is compiled against
# OUT_DIR/model.h and written to OUT_DIR/firmware.elf (+ firmware.map). BUILD_DIR (default: $DNNVP_BUILD_DIR
# or ./build) is a configured dnn-vp build tree; the generated dnnvp_memory_map.h is taken from it (built
# there if missing). Same compiler and flags as cmake/RiscvFirmware.cmake. Extra compiler flags: $CFLAGS.
# See docs/firmware.md.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ $# -lt 1 || $# -gt 2 || $1 == -h || $1 == --help ]]; then
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
fi
out=$1
build=${2:-${DNNVP_BUILD_DIR:-$repo/build}}
[[ -f $out/model.h ]] || { echo "build_firmware.sh: $out/model.h not found (run vp_gen SCENARIO -o $out first)" >&2; exit 1; }
# The firmware reservation at the DRAM base is the scenario's dram.firmware_mib (hw.json, written by vp_gen
# beside model.h): the linker puts the stack at its top, just below the model.
fw_mib=$(sed -n 's/.*"firmware_mib": *\([0-9][0-9]*\).*/\1/p' "$out/hw.json" 2>/dev/null || true)
[[ -n $fw_mib ]] || { echo "build_firmware.sh: $out/hw.json has no dram.firmware_mib (run vp_gen SCENARIO -o $out first)" >&2; exit 1; }

gcc=${DNNVP_RISCV_GCC:-riscv64-unknown-elf-gcc}
command -v "$gcc" >/dev/null || { echo "build_firmware.sh: $gcc not found (apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)" >&2; exit 1; }
specs=
for d in /usr/lib/picolibc/riscv64-unknown-elf /usr/local/lib/picolibc/riscv64-unknown-elf; do
  [[ -f $d/picolibc.specs ]] && { specs=$d/picolibc.specs; break; }
done
[[ -n $specs ]] || { echo "build_firmware.sh: picolibc.specs not found (apt-get install picolibc-riscv64-unknown-elf)" >&2; exit 1; }

mm_dir=${DNNVP_MEMORY_MAP_INCLUDE_DIR:-$build/platform/include}
if [[ ! -f $mm_dir/dnnvp_memory_map.h ]]; then
  [[ -f $build/CMakeCache.txt ]] || { echo "build_firmware.sh: no dnnvp_memory_map.h: configure a build tree first (cmake -S $repo -B $build -G Ninja) or pass BUILD_DIR" >&2; exit 1; }
  cmake --build "$build" --target dnnvp_memory_map_headers >/dev/null
fi

fw=$repo/firmware
sources=("$fw/startup/crt0.S" "$fw/startup/syscalls.c" "$fw/hal/hal_mmio.c")
while read -r f; do
  [[ -z $f || $f == \#* ]] || sources+=("$fw/$f")
done < "$fw/app/dnn/sources.txt"
# shellcheck disable=SC2086
"$gcc" -march=rv32imc -mabi=ilp32 --specs="$specs" -O2 -g -std=c11 -ffreestanding -ffunction-sections \
  -fdata-sections -fno-common -fno-asynchronous-unwind-tables -Wall -Wextra ${CFLAGS:-} \
  -I"$out" -I"$fw/runtime" -I"$fw/runtime/ops" -I"$fw/drivers" -I"$fw/abi" -I"$fw/hal" -I"$fw/startup" -I"$mm_dir" \
  -nostartfiles -T "$fw/startup/dnnvp_fw.ld" -Wl,--defsym=__dnnvp_fw_size=$((fw_mib << 20)) -Wl,--gc-sections -Wl,-Map="$out/firmware.map" -Wl,--no-warn-rwx-segments \
  "${sources[@]}" -o "$out/firmware.elf"
echo "build_firmware.sh: $out/firmware.elf"
