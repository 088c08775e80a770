#!/usr/bin/env bash
# Helpers for the integration tests. Source it first thing in a test:
#   source "$(dirname "$0")/lib.sh"
# It sets strict mode, makes a private work dir and installs an EXIT trap that
# stops tcpterm, removes the topology and the DPDK runtime dir, even when the
# test fails or is killed by the runner's timeout.
#
# Environment (all optional):
#   BUILD      build dir holding app/tcpterm (default: build, else build-ci)
#   TCPTERM    the binary itself (overrides BUILD)
#   TT_CONF    config file (default: config/tcpterm.conf)
#   TT_EAL     EAL args without --file-prefix (a unique prefix is appended)
#   TT_APP_NS / TT_CLI_NS   namespace names (default tt-app / tt-cli)
#   TT_NETNS=0 start tcpterm in the caller's namespace (for ports that need
#              no interface: net_virtio_user, net_memif over a unix socket)
#   TT_KEEP=1  keep the work dir (logs, downloaded files) for debugging
set -euo pipefail

TT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TT_NAME=$(basename "$0" .sh)

if [[ -z "${TCPTERM:-}" ]]; then
  if [[ -z "${BUILD:-}" ]]; then
    BUILD=build
    [[ -x "$TT_ROOT/build/app/tcpterm" || ! -x "$TT_ROOT/build-ci/app/tcpterm" ]] || BUILD=build-ci
  fi
  [[ "$BUILD" = /* ]] || BUILD="$TT_ROOT/$BUILD"
  TCPTERM="$BUILD/app/tcpterm"
fi
TT_CONF=${TT_CONF:-$TT_ROOT/config/tcpterm.conf}
export TT_APP_NS=${TT_APP_NS:-tt-app}
export TT_CLI_NS=${TT_CLI_NS:-tt-cli}
TT_ADDR=198.18.0.1          # tcpterm's address (config/tcpterm.conf)
TT_EAL=${TT_EAL:-"-l 0-1 --no-huge -m 512 --no-pci --vdev=net_af_packet0,iface=tt-app0"}
# A prefix of our own: a leftover or parallel DPDK process can never share
# our /var/run/dpdk/<prefix> runtime dir, and we know exactly what to delete.
TT_PREFIX="tt-it-${TT_NAME#test_}-$$"

TT_WORK=$(mktemp -d "/tmp/tt-it-${TT_NAME}.XXXXXX")
TT_LOG="$TT_WORK/tcpterm.log"
TT_PID=""
TT_TOPO=0

log()  { echo "[$TT_NAME] $*"; }
fail() { echo "FAIL [$TT_NAME]: $*" >&2; exit 1; }
# skip REASON: the test cannot run here for a real missing feature (not for a
# failure): scripts/test.sh counts exit code 77 as skipped and shows REASON.
skip() { echo "SKIP [$TT_NAME]: $*"; exit 77; }

# ---- assertions: each prints what was expected and what was seen ----------
assert_eq() {  # expected actual what
  [[ "$1" == "$2" ]] || fail "$3: expected '$1', got '$2'"
  log "ok: $3 = '$2'"
}
assert_lt() {  # a b what   (integers: a < b)
  (( $1 < $2 )) || fail "$3: expected $1 < $2"
  log "ok: $3 ($1 < $2)"
}
assert_gt() {  # a b what   (integers: a > b)
  (( $1 > $2 )) || fail "$3: expected $1 > $2"
  log "ok: $3 ($1 > $2)"
}
assert_grep() {  # extended-regex file what
  grep -Eq -- "$1" "$2" || { echo "--- $2:"; tail -n 20 "$2"; fail "$3: no line matching /$1/ in $(basename "$2")"; }
  log "ok: $3"
}
assert_no_grep() {  # extended-regex file what
  if grep -Eq -- "$1" "$2"; then
    grep -E -- "$1" "$2" | head -n 5
    fail "$3: unexpected line matching /$1/ in $(basename "$2")"
  fi
  log "ok: $3"
}

# ---- topology ---------------------------------------------------------------
topo_up() {
  TT_TOPO=1
  "$TT_ROOT/scripts/topology.sh" up
}
topo_down() {
  "$TT_ROOT/scripts/topology.sh" down
  TT_TOPO=0
}

# Run a command in the client namespace.
cli() { ip netns exec "$TT_CLI_NS" "$@"; }

# Milliseconds since the epoch, for elapsed-time checks.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# True while pid runs. kill -0 is not enough: it also succeeds for a zombie
# (a child that has exited but was not yet reaped by wait).
tt_alive() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat=${stat##*) }
  [[ "${stat%% *}" != Z ]]
}

# ---- tcpterm ----------------------------------------------------------------
# start_tcpterm [tcpterm args...]: runs tcpterm in the appliance namespace
# (none with TT_NETNS=0) in the background (stdout+stderr to $TT_LOG) and waits up to 20 s for the
# "tcpterm: ready" line. Fails with the log if tcpterm dies or is not ready.
start_tcpterm() {
  [[ -x "$TCPTERM" ]] || fail "tcpterm binary not found at $TCPTERM (build first)"
  [[ -z "$TT_PID" ]] || fail "start_tcpterm: tcpterm already running (pid $TT_PID)"
  : >"$TT_LOG"
  log "starting: $TCPTERM --config $TT_CONF --eal '$TT_EAL --file-prefix $TT_PREFIX' $*"
  # stdbuf: stdout is a file here, so make sure "ready" is not stuck in a
  # stdio buffer. ip netns exec and stdbuf both exec, so $! is tcpterm itself.
  local ns_exec=(ip netns exec "$TT_APP_NS")
  [[ "${TT_NETNS:-1}" != 0 ]] || ns_exec=()
  "${ns_exec[@]}" stdbuf -oL -eL "$TCPTERM" --config "$TT_CONF" \
    --eal "$TT_EAL --file-prefix $TT_PREFIX" "$@" >"$TT_LOG" 2>&1 &
  TT_PID=$!
  local deadline=$((SECONDS + 20)) rc=0
  until grep -q 'tcpterm: ready' "$TT_LOG"; do
    if ! tt_alive "$TT_PID"; then
      wait "$TT_PID" || rc=$?
      TT_PID=""
      echo "--- tcpterm log:"; cat "$TT_LOG"
      fail "tcpterm exited with code $rc before printing 'tcpterm: ready'"
    fi
    if ((SECONDS >= deadline)); then
      echo "--- tcpterm log:"; cat "$TT_LOG"
      fail "tcpterm did not print 'tcpterm: ready' within 20 s"
    fi
    sleep 0.1
  done
  log "tcpterm ready (pid $TT_PID)"
}

# stop_tcpterm [signal]: sends SIGINT (default) and waits up to 15 s; fails
# unless tcpterm exits 0. The log stays in $TT_LOG for counter checks.
stop_tcpterm() {
  local sig=${1:-INT} deadline=$((SECONDS + 15)) rc=0
  [[ -n "$TT_PID" ]] || fail "stop_tcpterm: tcpterm is not running"
  kill "-$sig" "$TT_PID" 2>/dev/null || true
  while tt_alive "$TT_PID"; do
    if ((SECONDS >= deadline)); then
      kill -KILL "$TT_PID" 2>/dev/null || true
      wait "$TT_PID" 2>/dev/null || true
      TT_PID=""
      fail "tcpterm did not exit within 15 s of SIG$sig"
    fi
    sleep 0.1
  done
  wait "$TT_PID" || rc=$?
  TT_PID=""
  [[ $rc -eq 0 ]] || { echo "--- tcpterm log:"; tail -n 40 "$TT_LOG"; fail "tcpterm exited with code $rc after SIG$sig (want 0)"; }
  log "tcpterm stopped by SIG$sig, exit code 0"
  expect_client_checksums_good
}

# Every segment tcpterm sent to the client namespace's kernel had a right
# checksum: a bad one is dropped there silently and looks like loss.
expect_client_checksums_good() {
  ((TT_TOPO)) || return 0
  assert_eq 0 "$(cli awk '$1 == "Tcp:" { if (!n) { n = split($0, name); next }
    split($0, v); for (i = 2; i <= n; i++) if (name[i] == "InCsumErrors") print v[i]; exit }' /proc/net/snmp)" \
    "TcpInCsumErrors in the client namespace's kernel"
}

# tt_counter NAME: the value of counter NAME in the summary tcpterm prints at
# exit (call after stop_tcpterm); fails when the line is missing.
tt_counter() {
  local v
  v=$(sed -n "/^tcpterm: counters/,\$ s/^$1 \([0-9][0-9]*\)\$/\1/p" "$TT_LOG" | tail -n 1)
  [[ -n "$v" ]] || fail "counter $1 not found in the exit summary of $TT_LOG"
  echo "$v"
}

# Scripted TCP peers (tests/integration/tcppeer.py) run with Debian's python3,
# which has python3-scapy, whatever python3 comes first in PATH.
TT_PY=/usr/bin/python3

# pkt SCRIPT.py: runs a tcppeer test script in the client namespace; fails
# (with the script's own report above) when one of its checks failed.
pkt() {
  local rc=0
  cli "$TT_PY" -B "$TT_ROOT/tests/integration/$1" || rc=$?
  ((rc == 0)) || fail "$1: checks failed (exit $rc), see FAIL lines above"
}

# Fails unless tcpterm is still running: call it after the client checks, so
# a tcpterm that crashed under them is reported as such.
expect_tcpterm_alive() {
  tt_alive "$TT_PID" || { echo "--- tcpterm log:"; tail -n 40 "$TT_LOG"; fail "tcpterm is no longer running"; }
}

# The script's own stdout/stderr. If INT/TERM arrives while a function runs
# with redirected output (e.g. `cli wrk ... >file`), the traps below run with
# that redirection still in place; cleanup switches back to these first.
exec {TT_STDOUT}>&1 {TT_STDERR}>&2

tt_cleanup() {
  local rc=$?
  set +e
  exec 1>&"$TT_STDOUT" 2>&"$TT_STDERR"
  if [[ -n "$TT_PID" ]]; then
    kill -INT "$TT_PID" 2>/dev/null
    for _ in $(seq 50); do tt_alive "$TT_PID" || break; sleep 0.1; done
    kill -KILL "$TT_PID" 2>/dev/null
    wait "$TT_PID" 2>/dev/null
  fi
  if ((rc != 0)) && [[ -s "$TT_LOG" ]]; then
    echo "--- last lines of the tcpterm log ($TT_LOG):"
    tail -n 30 "$TT_LOG"
  fi
  ((TT_TOPO)) && "$TT_ROOT/scripts/topology.sh" down
  # --no-huge leaves its runtime dir behind (virtual-nics.md).
  rm -rf "/var/run/dpdk/$TT_PREFIX"
  rm -f /dev/hugepages/"$TT_PREFIX"map_* 2>/dev/null
  if [[ "${TT_KEEP:-0}" == 1 ]]; then echo "work dir kept: $TT_WORK"; else rm -rf "$TT_WORK"; fi
  if ((rc == 0)); then echo "PASS [$TT_NAME]"; fi
  exit "$rc"
}
# Turn INT/TERM (e.g. the runner's timeout) into a normal exit so the EXIT
# trap above still cleans up.
trap 'exit 130' INT
trap 'exit 143' TERM
trap tt_cleanup EXIT

if ((EUID != 0)); then fail "must run as root (network namespaces)"; fi
