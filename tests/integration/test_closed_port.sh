#!/usr/bin/env bash
# A SYN to a port without a listener must be answered with RST, so the
# client fails at once ("Connection refused") rather than timing out.
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

# Resolve ARP first so the timing below measures only the SYN -> RST.
cli ping -c 1 -W 2 "$TT_ADDR" >/dev/null || fail "tcpterm does not answer ping"

t0=$(now_ms)
rc=0
cli nc -v -z -w 5 "$TT_ADDR" 12345 >"$TT_WORK/nc.out" 2>&1 || rc=$?
t1=$(now_ms)
cat "$TT_WORK/nc.out"
assert_eq 1 "$rc" "nc -z to a closed port fails"
assert_grep 'refused' "$TT_WORK/nc.out" "connection refused (RST), not a timeout"
assert_lt "$((t1 - t0))" 2000 "elapsed ms"

expect_tcpterm_alive
stop_tcpterm
