#!/usr/bin/env bash
# cross_compiles_for_aarch64.sh SCRIPT MODEL_DIR WORK_DIR BUILD_DIR: builds MODEL_DIR's Linux library with
# aarch64-linux-gnu-gcc (in WORK_DIR, a copy) and checks it is an AArch64 shared object exporting the API.
set -euo pipefail
script=$1 model=$2 work=$3 build=$4
if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  echo "SKIP: aarch64-linux-gnu-gcc not found (tools/install-deps.sh installs gcc-aarch64-linux-gnu)"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"
cp "$model"/model.h "$model"/hw.json "$work"/
CC=aarch64-linux-gnu-gcc CFLAGS=-Werror "$script" "$work" "$build"
lib=$work/linux/libdnnvp_model.so
readelf -h "$lib" | grep -q 'Machine: *AArch64' || { echo "FAIL: $lib is not AArch64"; readelf -h "$lib"; exit 1; }
readelf -h "$lib" | grep -q 'Type: *DYN' || { echo "FAIL: $lib is not a shared object"; exit 1; }
# (Read once: with pipefail, `readelf | grep -q` fails when grep stops reading before readelf is done.)
syms=$(readelf --dyn-syms -W "$lib")
for sym in dnnvp_linux_open dnnvp_linux_run dnnvp_linux_read dnnvp_linux_write dnnvp_linux_model_info \
           dnnvp_linux_config_devmem dnnvp_linux_config_udmabuf dnnvp_linux_error dnnvp_linux_close; do
  grep -qw "$sym" <<<"$syms" || { echo "FAIL: $lib does not export $sym"; exit 1; }
done
echo "PASS: $lib (AArch64 shared object, the dnnvp_linux API exported)"
