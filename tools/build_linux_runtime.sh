#!/usr/bin/env bash
# Builds the dnn-vp runtime as a Linux user-space library for one model (firmware/linux/dnnvp_linux.h):
#
#   tools/build_linux_runtime.sh OUT_DIR [BUILD_DIR]
#
# OUT_DIR is a vp_gen output directory; the library is compiled against OUT_DIR/model.h and written to
# OUT_DIR/linux/libdnnvp_model.so. The compiler is $CC (default cc, the host's); for a Zynq UltraScale+
# board: CC=aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu). BUILD_DIR (default:
# $DNNVP_BUILD_DIR or ./build) is a configured dnn-vp build tree, for the generated dnnvp_memory_map.h.
# Sources and flags: firmware/flags.txt (LINUX_*) and firmware/app/dnn/sources.txt. See docs/fpga.md.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tool=build_linux_runtime.sh
# shellcheck source=tools/firmware_lists.sh
source "$repo/tools/firmware_lists.sh"
read_out_and_build_args "$@"
cc=${CC:-cc}
command -v "$cc" >/dev/null || { echo "$tool: compiler $cc not found (for the board: apt-get install gcc-aarch64-linux-gnu)" >&2; exit 1; }

read_firmware_flags INCLUDE_DIRS APP_INCLUDE_DIRS LINUX_SOURCES LINUX_INCLUDE_DIRS LINUX_CFLAGS LINUX_LDFLAGS
mm_dir=$(memory_map_include_dir "$build")

# The application's sources but its bare-metal main (app/dnn), then the library's own.
read_app_sources
sources=()
for f in "${app_sources[@]}"; do [[ $f == "$fw"/app/* ]] || sources+=("$f"); done
for f in ${flag[LINUX_SOURCES]}; do sources+=("$fw/$f"); done
includes=(-I"$out")
for d in ${flag[LINUX_INCLUDE_DIRS]} ${flag[APP_INCLUDE_DIRS]} ${flag[INCLUDE_DIRS]}; do includes+=(-I"$fw/$d"); done
includes+=(-I"$mm_dir")

mkdir -p "$out/linux"
lib=$out/linux/libdnnvp_model.so
# Written beside, then renamed: an interrupted build leaves no half-written library.
# shellcheck disable=SC2086
"$cc" ${flag[LINUX_CFLAGS]} ${CFLAGS:-} "${includes[@]}" ${flag[LINUX_LDFLAGS]} "${sources[@]}" -o "$lib.tmp"
mv "$lib.tmp" "$lib"
echo "$tool: $lib"
