#!/usr/bin/env bash
# wrk against the http service, with keep-alive and with one connection per
# request (Connection: close). Pass: > 0 requests, zero socket errors, no
# non-2xx responses, and tcpterm still alive afterwards.
source "$(dirname "$0")/lib.sh"

DURATION=${WRK_DURATION:-10s}
URL="http://$TT_ADDR/"

topo_up
start_tcpterm

run_wrk() {  # name wrk-args...
  local name=$1 rc=0; shift
  log "wrk $* $URL"
  cli timeout 60 wrk "$@" "$URL" >"$TT_WORK/$name.out" 2>&1 || rc=$?
  cat "$TT_WORK/$name.out"
  assert_eq 0 "$rc" "$name: wrk exit code"
  python3 "$TT_ROOT/tests/integration/wrk_check.py" "$TT_WORK/$name.out" \
    || fail "$name: wrk results not clean (see above)"
  log "ok: $name: requests > 0, no socket errors, no non-2xx responses"
}

run_wrk keepalive -t1 -c32 -d"$DURATION"
run_wrk close -t1 -c32 -d"$DURATION" -H 'Connection: close'

expect_tcpterm_alive
stop_tcpterm
echo "--- tcpterm counters:"
cat "$TT_LOG"
