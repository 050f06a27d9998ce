#!/bin/sh
# Fails if a file under models/ includes a header the platform generates (any file of the generated
# include directory, e.g. dnnvp_memory_map.hpp): models get their regions passed in by whoever builds
# them (models/base/register_spec.h), so the dependency runs one way, platform -> models.
# usage: check_models_include_no_generated_header.sh MODELS_DIR GENERATED_INCLUDE_DIR
set -eu
models=$1
generated=$2
names=$(cd "$generated" && ls)
if [ -z "$names" ]; then
  echo "no generated headers in $generated: build first"
  exit 1
fi
status=0
for name in $names; do
  pattern=$(printf '%s' "$name" | sed 's/[.]/[.]/g')
  if grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]([^\">]*/)?$pattern[\">]" "$models"; then
    echo "models/ includes the generated $name: pass the model its region (models/base/register_spec.h)"
    status=1
  fi
done
exit $status
