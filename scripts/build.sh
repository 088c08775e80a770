#!/usr/bin/env bash
# Usage: scripts/build.sh [BUILD_DIR [NINJA_TARGET...]] [--werror] [-Dopt=value...]
# Configures (or reconfigures) the meson build dir and builds it with ninja
# (everything, or only the targets named, e.g. tests/unit/unit_tests).
# -D options go to meson as they are (the sanitizer and fuzz build dirs of
# scripts/test.sh and scripts/fuzz.sh: -Db_sanitize=..., -Dfuzz=true).
set -euo pipefail

cd "$(dirname "$0")/.."

build=
targets=()
werror=false
meson_opts=()
for a in "$@"; do
  case "$a" in
    --werror) werror=true ;;
    -D*) meson_opts+=("$a") ;;
    -h|--help) echo "usage: $0 [BUILD_DIR [NINJA_TARGET...]] [--werror] [-Dopt=value...]"; exit 0 ;;
    -*) echo "build.sh: unknown option $a" >&2; exit 2 ;;
    *) if [[ -z "$build" ]]; then build="$a"; else targets+=("$a"); fi ;;
  esac
done
build=${build:-build}

if [[ -f "$build/build.ninja" ]]; then
  # Existing dir: only change the option, ninja regenerates as needed.
  meson configure "$build" -Dwerror="$werror" "${meson_opts[@]}"
else
  meson setup "$build" -Dwerror="$werror" "${meson_opts[@]}"
fi

# The project machines have 2 vCPUs; JOBS lets CI or a user cap parallelism.
ninja -C "$build" ${JOBS:+-j "$JOBS"} "${targets[@]}"
