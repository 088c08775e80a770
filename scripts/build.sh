#!/usr/bin/env bash
# Usage: scripts/build.sh [BUILD_DIR] [--werror]
# Configures (or reconfigures) the meson build dir and builds it with ninja.
set -euo pipefail

cd "$(dirname "$0")/.."

build=build
werror=false
for a in "$@"; do
  case "$a" in
    --werror) werror=true ;;
    -h|--help) echo "usage: $0 [BUILD_DIR] [--werror]"; exit 0 ;;
    -*) echo "build.sh: unknown option $a" >&2; exit 2 ;;
    *) build="$a" ;;
  esac
done

if [[ -f "$build/build.ninja" ]]; then
  # Existing dir: only change the option, ninja regenerates as needed.
  meson configure "$build" -Dwerror="$werror"
else
  meson setup "$build" -Dwerror="$werror"
fi

# The project machines have 2 vCPUs; JOBS lets CI or a user cap parallelism.
ninja -C "$build" ${JOBS:+-j "$JOBS"}
