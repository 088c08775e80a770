#!/usr/bin/env bash
# SIGINT stops tcpterm cleanly: exit code 0 and a counter summary
# ("name value" lines) on stdout. SIGTERM must behave the same.
source "$(dirname "$0")/lib.sh"

topo_up

start_tcpterm
# Some traffic so there is something to count.
cli ping -c 2 -W 1 "$TT_ADDR" >/dev/null || fail "tcpterm does not answer ping"
stop_tcpterm INT
cat "$TT_LOG"
assert_grep '^[A-Za-z][A-Za-z0-9_.:/-]*[[:space:]]+[0-9]+$' "$TT_LOG" "SIGINT: counter summary printed"

start_tcpterm
stop_tcpterm TERM
assert_grep '^[A-Za-z][A-Za-z0-9_.:/-]*[[:space:]]+[0-9]+$' "$TT_LOG" "SIGTERM: counter summary printed"
