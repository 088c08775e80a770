#!/usr/bin/env bash
# Zero copy on net_tap, which takes mbuf chains and fills checksums in
# software (its TSO is not used: lib/net/port.cpp says why). tcpterm runs in
# a namespace of its own with its tap there; the kernel end of the tap
# (198.18.0.2/24) is the client. A 50 MB chargen download and a 20 MB echo
# must arrive intact (sha256) with payload sent by reference, the port must
# have refused no frame, and the client's kernel must have found no bad
# checksum. (TSO itself is unit-tested: tests/unit/test_engine_recovery.cpp.)
source "$(dirname "$0")/lib.sh"
NS=${TT_APP_NS}
TAP=tt-zc0
export TT_CLI_NS=$NS
TT_EAL="-l 0-1 --no-huge -m 512 --no-pci --vdev=net_tap0,iface=$TAP"
DOWNLOAD=50000000
ECHO_BYTES=20000000

# On exit: tcpterm stops (its tap goes with it), then the namespace, then
# lib.sh's clean-up, which reports and exits with the test's status.
finish() {
  local rc=$?
  set +e
  if [[ -n "$TT_PID" ]]; then
    kill -INT "$TT_PID" 2>/dev/null
    for _ in $(seq 50); do tt_alive "$TT_PID" || break; sleep 0.1; done
  fi
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  (exit "$rc")
  tt_cleanup
}
trap finish EXIT
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip -n "$NS" link set lo up

start_tcpterm --listen 7=echo --listen 19=chargen
assert_grep 'tso off' "$TT_LOG" "net_tap's TSO left unused"
assert_grep 'zero-copy tx on' "$TT_LOG" "the tap port takes mbuf chains"
ip -n "$NS" addr add 198.18.0.2/24 dev "$TAP"
ip -n "$NS" link set "$TAP" up
for _ in $(seq 50); do cli ping -c1 -W1 "$TT_ADDR" >/dev/null 2>&1 && break; sleep 0.2; done
cli nstat -n >/dev/null 2>&1 || true

want=$(/usr/bin/python3 "$TT_ROOT/tests/integration/bulk_client.py" chargen-sha256 "$DOWNLOAD")
got=$(cli timeout 60 sh -c "nc -d $TT_ADDR 19 | head -c $DOWNLOAD | sha256sum | cut -d' ' -f1")
assert_eq "$want" "$got" "sha256 of a $DOWNLOAD-byte chargen download"

head -c "$ECHO_BYTES" /dev/urandom >"$TT_WORK/echo.in"
want=$(sha256sum <"$TT_WORK/echo.in" | cut -d' ' -f1)
got=$(cli timeout 60 sh -c "nc -N $TT_ADDR 7 <'$TT_WORK/echo.in' | sha256sum | cut -d' ' -f1")
assert_eq "$want" "$got" "sha256 of $ECHO_BYTES bytes echoed"

csum=$(cli nstat -az TcpInCsumErrors 2>/dev/null | awk '/TcpInCsumErrors/ {print $2}')
assert_eq 0 "${csum:-0}" "TcpInCsumErrors in the client's kernel"
stop_tcpterm
log "segments $(tt_counter OutSegs), port frames $(tt_counter TxPortPackets)"
assert_eq 0 "$(tt_counter TCPSendAllocFail)" "TCPSendAllocFail"
assert_eq 0 "$(tt_counter TxErrors)" "TxErrors (frames the port refused, e.g. a TSO frame its GSO could not cut)"
