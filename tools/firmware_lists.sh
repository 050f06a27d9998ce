# Sourced by tools/build_firmware.sh and tools/build_linux_runtime.sh: their command line, the firmware's
# one list of flags (firmware/flags.txt) and of the DNN application's sources (firmware/app/dnn/sources.txt),
# read the way firmware/CMakeLists.txt and cmake/RiscvFirmware.cmake read them. Expects $repo (the source
# tree) and $tool (the calling script's name, for messages).

fw=$repo/firmware

# The command line `OUT_DIR [BUILD_DIR]`: sets $out and $build (default $DNNVP_BUILD_DIR or ./build) and
# checks that OUT_DIR is a vp_gen output; prints the calling script's usage (its header's lines 2-10).
read_out_and_build_args() {
  if [[ $# -lt 1 || $# -gt 2 || $1 == -h || $1 == --help ]]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
  fi
  out=$1
  build=${2:-${DNNVP_BUILD_DIR:-$repo/build}}
  [[ -f $out/model.h ]] || { echo "$tool: $out/model.h not found (run vp_gen SCENARIO -o $out first)" >&2; exit 1; }
}

# Fills the associative array `flag` from firmware/flags.txt and checks that the keys "$@" are there.
read_firmware_flags() {
  declare -gA flag
  local n=0 line key
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ $line =~ ^([A-Z_]+)[[:space:]]*=[[:space:]]*(.*)$ ]] || { echo "$tool: $fw/flags.txt:$n: expected 'KEY = value', got '$line'" >&2; exit 1; }
    flag[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
  done < "$fw/flags.txt"
  for key in "$@"; do
    [[ -v flag[$key] ]] || { echo "$tool: $fw/flags.txt: no $key" >&2; exit 1; }
  done
}

# Fills the array `app_sources` from firmware/app/dnn/sources.txt: a pattern line stands for its files
# sorted bytewise, as firmware/CMakeLists.txt expands it (the order is part of the binary).
read_app_sources() {
  app_sources=()
  local f files
  shopt -s nullglob
  LC_COLLATE=C
  while read -r f; do
    [[ -z $f || $f == \#* ]] && continue
    files=("$fw"/$f)
    [[ ${#files[@]} -gt 0 && -f ${files[0]} ]] || { echo "$tool: $fw/app/dnn/sources.txt: '$f' names no file" >&2; exit 1; }
    app_sources+=("${files[@]}")
  done < "$fw/app/dnn/sources.txt"
}

# Prints the directory of the generated dnnvp_memory_map.h for build tree $1, building it there if missing.
memory_map_include_dir() {
  local build=$1 dir=${DNNVP_MEMORY_MAP_INCLUDE_DIR:-$1/platform/include}
  if [[ ! -f $dir/dnnvp_memory_map.h ]]; then
    [[ -f $build/CMakeCache.txt ]] || { echo "$tool: no dnnvp_memory_map.h: configure a build tree first (cmake -S $repo -B $build -G Ninja) or pass BUILD_DIR" >&2; exit 1; }
    cmake --build "$build" --target dnnvp_memory_map_headers >/dev/null
  fi
  echo "$dir"
}
