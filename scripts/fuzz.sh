#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) and runs each one: first its
# regression inputs (tests/fuzz/regressions/<target>/, every one must pass),
# then FUZZ_SECONDS of fuzzing from its seed corpus.
# Usage: scripts/fuzz.sh [BUILD_DIR]     (default build-fuzz)
#   FUZZ_SECONDS=n   fuzzing time per target (default 20)
#   FUZZ_TARGETS="engine options"  a subset (default: all four)
#   JOBS=n           ninja parallelism
# Prints "PASS fuzz_<target>" or "FAIL fuzz_<target> (...)" per target and
# exits non-zero when one failed. A crashing input is kept as
# BUILD_DIR/fuzz-artifacts/<target>-crash-*; the log is BUILD_DIR/fuzz-logs/.
# To keep one as a regression: copy it to tests/fuzz/regressions/<target>/
# once the bug is fixed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${1:-build-fuzz}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
TARGETS=${FUZZ_TARGETS:-options segment interface engine}
LOGS="$BUILD/fuzz-logs"
ARTIFACTS="$BUILD/fuzz-artifacts"

# libFuzzer is clang's; LTO off: clang's LTO with sanitizer coverage needs
# lld/gold plugins we do not want to depend on, and it buys nothing here.
mkdir -p "$BUILD"
if ! CC=clang CXX=clang++ "$ROOT/scripts/build.sh" "$BUILD" --werror -Dfuzz=true -Db_lto=false \
     >"$BUILD/fuzz-build.log" 2>&1; then
  tail -n 40 "$BUILD/fuzz-build.log"
  for t in $TARGETS; do echo "FAIL fuzz_$t (build)"; done
  exit 1
fi
mkdir -p "$LOGS" "$ARTIFACTS"

# A target that crashed could not remove its DPDK runtime dir
# (/var/run/dpdk/fuzz-<target>-<pid>): remove those whose process is gone.
remove_dead_runtime_dirs() {
  local d pid
  for d in /var/run/dpdk/fuzz-"$1"-*; do
    [[ -d "$d" ]] || continue
    pid=${d##*-}
    kill -0 "$pid" 2>/dev/null || rm -rf "$d"
  done
}

# Per-target flags: the engine's inputs are sequences of segments, which
# need room (a handshake, data and a close are ~100 bytes).
target_flags() {
  case "$1" in
    engine) echo "-max_len=2048" ;;
    *) echo "" ;;
  esac
}

failed=0
for t in $TARGETS; do
  bin="$BUILD/tests/fuzz/fuzz_$t"
  log="$LOGS/$t.log"
  : >"$log"
  rc=0
  if [[ ! -x "$bin" ]]; then
    echo "FAIL fuzz_$t (no $bin)"
    failed=$((failed + 1))
    continue
  fi
  # 1. Regressions: libFuzzer runs files given by name once each and stops
  #    at the first crash.
  regressions=()
  if [[ -d "$ROOT/tests/fuzz/regressions/$t" ]]; then
    while IFS= read -r -d '' f; do regressions+=("$f"); done \
      < <(find "$ROOT/tests/fuzz/regressions/$t" -type f -print0 | sort -z)
  fi
  if ((${#regressions[@]} > 0)); then
    timeout -k 10 300 "$bin" -timeout=10 "${regressions[@]}" >>"$log" 2>&1 || rc=$?
    remove_dead_runtime_dirs "$t"
    if ((rc != 0)); then
      echo "FAIL fuzz_$t (a regression input fails, exit $rc); last lines of $log:"
      tail -n 30 "$log" | sed 's/^/    /'
      failed=$((failed + 1))
      continue
    fi
  fi
  # 2. Fuzzing from a scratch copy of the corpus: what libFuzzer adds to it
  #    stays out of the tree.
  corpus=$(mktemp -d "/tmp/fuzz-$t.XXXXXX")
  # (No seeds is allowed: libFuzzer starts from nothing then.)
  [[ ! -d "$ROOT/tests/fuzz/corpus/$t" ]] || cp -r "$ROOT/tests/fuzz/corpus/$t/." "$corpus/"
  # shellcheck disable=SC2046  # target_flags is a word list on purpose
  timeout -k 10 $((FUZZ_SECONDS + 120)) "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$t-" $(target_flags "$t") "$corpus" \
    >>"$log" 2>&1 || rc=$?
  remove_dead_runtime_dirs "$t"
  rm -rf "$corpus"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if ((rc == 0)); then
    echo "PASS fuzz_$t (${runs:-?} inputs in $FUZZ_SECONDS s, ${#regressions[@]} regressions)"
  else
    echo "FAIL fuzz_$t (exit $rc); last lines of $log:"
    grep -a -E 'ERROR|invariant failed|mbuf leak|runtime error|Test unit written' "$log" | head -n 10 | sed 's/^/    /'
    tail -n 20 "$log" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
exit $((failed > 0))
