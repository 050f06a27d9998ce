#!/usr/bin/env bash
# Fails when the include path of one compile command (its -I directories inside the source or build tree)
# holds two headers of the same name: which one `#include "x.h"` finds would then depend on the order of
# the -I flags (models/axi_dma.h, the DMA model, and the firmware's DMA driver once shared a name).
#
#   unique_header_names.sh SOURCE_DIR BUILD_DIR
#
# BUILD_DIR is a Ninja build tree; every command it builds is checked: host C/C++ and the cross-compiled
# firmware alike.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 SOURCE_DIR BUILD_DIR" >&2; exit 2; }
src=$(realpath "$1")
build=$(realpath "$2")
[[ -f $build/build.ninja ]] || { echo "$0: $build/build.ninja not found (a Ninja build tree)" >&2; exit 2; }

# One line per distinct include path: its project directories, space separated, in command-line order.
paths=$(ninja -C "$build" -t commands | awk -v src="$src" -v build="$build" '
  {
    path = ""; n = split($0, w, /[ \t]+/)
    for (i = 1; i <= n; ++i) {
      d = ""
      if (w[i] == "-I" && i < n) d = w[++i]
      else if (w[i] ~ /^-I./) d = substr(w[i], 3)
      gsub(/"/, "", d)
      if (d != "" && (index(d, src "/") == 1 || index(d, build "/") == 1 || d == src)) path = path " " d
    }
    if (path != "") print substr(path, 2)
  }' | sort -u)

status=0
checked=0
while read -r -a dirs; do
  checked=$((checked + 1))
  dupes=$(for d in "${dirs[@]}"; do
            [[ -d $d ]] && find "$d" -maxdepth 1 \( -name '*.h' -o -name '*.hpp' -o -name '*.svh' \) -printf '%f %h\n'
          done | sort -u | awk '{ n[$1]++; where[$1] = where[$1] " " $2 } END { for (h in n) if (n[h] > 1) print h ":" where[h] }')
  if [[ -n $dupes ]]; then
    echo "headers of the same name on one include path (${dirs[*]}):" >&2
    echo "$dupes" | sed 's/^/  /' >&2
    status=1
  fi
done <<< "$paths"
[[ $status -ne 0 ]] || echo "$checked include paths, no header name twice on any"
exit $status
