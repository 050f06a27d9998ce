#!/usr/bin/env bash
# Installs every Debian package dnn-vp uses. Idempotent: quiet and fast when all are present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config python3
  libsystemc-dev verilator yosys
  libboost-program-options-dev nlohmann-json3-dev catch2 libyaml-cpp-dev
  libunicorn-dev
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
  python3-torch python3-onnx python3-numpy python3-sklearn
  clang libclang-rt-14-dev
  gtkwave gdb-multiarch
  python3-matplotlib tcl
  slurm-wlm munge
  qflow qflow-tech-osu018 opensta
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
