#!/usr/bin/env bash
# The whole test suite (README command 2, and what .ci/run calls):
#   deps -> build with -Werror -> Catch2 unit tests -> integration tests.
#   ... then the unit tests and a few integration tests again on an ASan+UBSan
#   build (scripts/test_sanitizers.sh) and each libFuzzer target for a short
#   while (scripts/test_fuzz.sh).
# Usage: scripts/test.sh            (BUILD=dir to choose the build dir,
#        TEST_TIMEOUT=s per integration test (at least: a test may ask for
#        more with a "# test-timeout: s" line), TESTS="ping curl" to select,
#        SANITIZE=0 / FUZZ=0 to skip those sections for a quick local run,
#        FUZZ_SECONDS=s per fuzz target, SANITIZE_TESTS="ping echo")
# The last line of output is always "N passed, M failed, K skipped" (unit
# test cases + integration tests + sanitizer runs + fuzz targets); the exit
# code is non-zero when M > 0. An integration test that cannot run on this
# machine for a real missing feature (no pktgen source, ...) prints
# "SKIP [name]: reason" and exits 77 (lib.sh's skip); it is counted as skipped,
# never as passed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build-ci}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
LOGS="$BUILD/test-logs"   # build.log, unit.xml, one log per integration test

passed=0
failed=0
skipped=0
failed_names=()
skipped_names=()

finish() {
  trap - EXIT
  # Safety net: whatever a test left behind is removed before we report.
  cleanup_leftovers >/dev/null 2>&1 || true
  if ((skipped > 0)); then echo "skipped: ${skipped_names[*]}"; fi
  if ((failed > 0)); then echo "failed: ${failed_names[*]}"; fi
  echo "$passed passed, $failed failed, $skipped skipped"
  exit $((failed > 0))
}
# If the runner itself dies (set -e, Ctrl-C), still clean up and print the
# summary line, counting the abort as a failure.
trap 'failed=$((failed + 1)); failed_names+=("test.sh-aborted"); finish' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

record() {  # PASS|FAIL name
  if [[ $1 == PASS ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failed_names+=("$2")
  fi
}

# Kill tcpterm processes that earlier test runs started from this tree (by
# pid: /proc/PID/exe in this tree and our "tt-it-" DPDK file prefix, so a
# tcpterm someone runs by hand is left alone), remove the test topology
# (which also ends anything still running inside it) and the DPDK runtime
# dirs of earlier test runs.
cleanup_leftovers() {
  local exe pid
  for exe in /proc/[0-9]*/exe; do
    pid=${exe#/proc/}; pid=${pid%/exe}
    case "$(readlink "$exe" 2>/dev/null)" in
      "$ROOT"/*/app/tcpterm | "$ROOT"/*/app/tcpterm" (deleted)")
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- '--file-prefix tt-it-' || continue
        echo "killing leftover tcpterm pid $pid"
        kill -INT "$pid" 2>/dev/null || true
        sleep 1
        kill -KILL "$pid" 2>/dev/null || true
        ;;
    esac
  done
  # test_vm's QEMU (tap vm-it<test pid>) and namespace (vm-it-<test pid>),
  # when that test is gone (killed before its own cleanup ran)
  local tpid ns
  for exe in /proc/[0-9]*/exe; do
    pid=${exe#/proc/}; pid=${pid%/exe}
    [[ "$(readlink "$exe" 2>/dev/null)" == */qemu-system-x86_64 ]] || continue
    tpid=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | sed -n 's/.*ifname=vm-it\([0-9][0-9]*\),.*/\1/p')
    [[ -n "$tpid" && ! -d /proc/$tpid ]] || continue
    echo "killing leftover QEMU pid $pid (of test_vm pid $tpid)"
    kill -KILL "$pid" 2>/dev/null || true
  done
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^vm-it-[0-9]+$/ {print $1}'); do
    [[ -d /proc/${ns#vm-it-} ]] || ip netns del "$ns"
  done
  "$ROOT/scripts/topology.sh" down
  rm -rf /var/run/dpdk/tt-it-*
}

section() { echo; echo "=== $* ==="; }

if ((EUID != 0)); then
  echo "test.sh: must run as root (network namespaces, DPDK)" >&2
  exit 1   # the EXIT trap prints the summary line
fi

section "cleaning leftovers of earlier runs"
cleanup_leftovers

section "dependencies"
if "$ROOT/scripts/deps.sh"; then
  echo "all packages present"
else
  record FAIL deps
  finish
fi

section "build ($BUILD, -Werror)"
mkdir -p "$LOGS"   # meson is happy to set up a dir that already has this
if "$ROOT/scripts/build.sh" "$BUILD" --werror >"$LOGS/build.log" 2>&1; then
  tail -n 3 "$LOGS/build.log"
else
  tail -n 60 "$LOGS/build.log"
  echo "FAIL build"
  record FAIL build
  finish
fi

# One run of the Catch2 suite: LABEL names it in the report, MODE is the SYN
# cookie mode the engine suites' listeners use (TCPTERM_TEST_COOKIES, see
# tests/unit/engine_harness.hpp), the rest are Catch2 test specs.
run_unit_suite() {
  local label=$1 mode=$2
  shift 2
  local xml="$LOGS/unit-$label.xml" names="$LOGS/unit-$label-names.txt" log="$LOGS/unit-$label.log"
  rm -f "$xml"
  # DPDK runtime dirs the unit tests leave behind (--no-huge keeps them):
  # remember what was there before, remove what they added.
  local dpdk_before urc=0 summary up uf d
  dpdk_before=$(ls /var/run/dpdk 2>/dev/null || true)
  TCPTERM_TEST_COOKIES=$mode timeout -k 10 "$TEST_TIMEOUT" "$UNIT" "$@" -r junit -o "$xml" </dev/null >"$log" 2>&1 || urc=$?
  "$UNIT" "$@" --list-test-names-only >"$names" 2>/dev/null || true
  for d in $(ls /var/run/dpdk 2>/dev/null || true); do
    grep -qxF -- "$d" <<<"$dpdk_before" || rm -rf "/var/run/dpdk/$d"
  done
  if summary=$(python3 "$ROOT/scripts/junit_summary.py" "$xml" "$names" "$label" 2>"$LOGS/junit-parse.err"); then
    echo "$summary" | sed '$d'
    read -r up uf <<<"$(echo "$summary" | tail -n 1)"
    passed=$((passed + up))
    failed=$((failed + uf))
    ((uf == 0)) || failed_names+=("$label($uf)")
    # A crash or a non-zero exit with all cases green is still a failure.
    if ((urc != 0 && uf == 0)); then
      echo "FAIL $label: exit code $urc although every test case passed"
      tail -n 30 "$log"
      record FAIL "$label(exit $urc)"
    fi
  else
    # No usable report: the binary crashed or timed out before writing it.
    echo "FAIL $label: exit code $urc and no readable JUnit report"
    cat "$LOGS/junit-parse.err"
    tail -n 40 "$log"
    record FAIL "$label"
  fi
}

section "unit tests"
UNIT="$BUILD/tests/unit/unit_tests"
if [[ ! -x "$UNIT" ]]; then
  echo "FAIL unit_tests: $UNIT not built"
  record FAIL unit_tests
else
  # Listeners in auto cookie mode (the default), then the engine suites again
  # with cookies forced on and off (issue 4). Forced on leaves out [stateful]
  # cases: what only a stateful handshake keeps (engine_harness.hpp).
  run_unit_suite unit auto
  run_unit_suite unit-cookies-always always '[tcp]~[stateful]'
  run_unit_suite unit-cookies-off off '[tcp]'
fi

# One integration test against the tcpterm of build dir BUILD_DIR, reported
# and recorded as LABEL: run_integration_test SCRIPT BUILD_DIR LABEL
run_integration_test() {
  local t=$1 build=$2 label=$3
  local log="$LOGS/$label.log" start=$SECONDS rc=0 limit=$TEST_TIMEOUT own
  # A test that needs longer says so in a "# test-timeout: SECONDS" line.
  own=$(sed -n 's/^# test-timeout: \([0-9][0-9]*\)$/\1/p' "$t")
  [[ -z "$own" ]] || ((own <= limit)) || limit=$own
  # stdin from /dev/null: timeout puts the test in its own process group,
  # which must never try to read the terminal.
  BUILD="$build" timeout -k 15 "$limit" bash "$t" </dev/null >"$log" 2>&1 || rc=$?
  if ((rc == 0)); then
    echo "PASS $label ($((SECONDS - start)) s)"
    record PASS "$label"
  elif ((rc == 77)); then
    # lib.sh's skip: the test printed "SKIP [name]: reason".
    echo "SKIP $label: $(sed -n 's/^SKIP \[[^]]*\]: //p' "$log" | tail -n 1)"
    skipped=$((skipped + 1))
    skipped_names+=("$label")
  else
    ((rc != 124)) || echo "    (timed out after $limit s)"
    echo "FAIL $label (exit $rc, $((SECONDS - start)) s); last lines of $log:"
    tail -n 40 "$log" | sed 's/^/    /'
    record FAIL "$label"
  fi
  # A test that was killed may not have cleaned up after itself.
  cleanup_leftovers >/dev/null 2>&1 || true
}

section "integration tests"
for t in "$ROOT"/tests/integration/test_*.sh; do
  name=$(basename "$t" .sh)
  if [[ -n "${TESTS:-}" ]] && ! grep -qw -- "${name#test_}" <<<"$TESTS"; then
    continue
  fi
  run_integration_test "$t" "$BUILD" "$name"
done

source "$ROOT/scripts/test_sanitizers.sh"
source "$ROOT/scripts/test_fuzz.sh"

finish
