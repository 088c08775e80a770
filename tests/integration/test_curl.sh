#!/usr/bin/env bash
# http service: status 200 and the configured body size over HTTP/1.1
# (keep-alive), HTTP/1.0 and "Connection: close"; the server must close the
# connection when HTTP/1.0 or Connection: close says so.
source "$(dirname "$0")/lib.sh"

BODY=12345
URL="http://$TT_ADDR/"

topo_up
start_tcpterm --listen "80=http,body=$BODY"

# fetch NAME CURL_ARGS...: one GET, checks status and body size.
fetch() {
  local name=$1; shift
  local out
  out=$(cli curl -s --max-time 10 -o "$TT_WORK/$name.body" -D "$TT_WORK/$name.hdr" \
        -w '%{http_code} %{size_download}' "$@" "$URL") || fail "$name: curl failed (exit $?)"
  log "$name: status and size: $out"
  assert_eq "200 $BODY" "$out" "$name: status and body size"
  assert_eq "$BODY" "$(stat -c %s "$TT_WORK/$name.body")" "$name: bytes on disk"
}

fetch http11
fetch http10 --http1.0
fetch close -H 'Connection: close'

# Keep-alive: two URLs in one curl run must share one connection.
out=$(cli curl -s --max-time 10 -o /dev/null -o /dev/null -w '%{http_code}:%{num_connects} ' "$URL" "$URL") \
  || fail "keep-alive: curl failed"
assert_eq "200:1 200:0 " "$out" "keep-alive: second request reuses the connection (status:new-connections)"

# The server must close after the response for HTTP/1.0 and Connection:
# close. nc (without -N/-q) only exits when the server closes, so a server
# that keeps the connection open runs into the timeout (exit 124).
raw_close_check() {  # name request
  local name=$1 req=$2 rc=0
  printf '%b' "$req" | cli timeout 5 nc "$TT_ADDR" 80 >"$TT_WORK/$name.raw" || rc=$?
  [[ $rc -ne 124 ]] || fail "$name: server did not close the connection within 5 s"
  assert_grep '^HTTP/1\.[01] 200' "$TT_WORK/$name.raw" "$name: 200 status line"
  log "ok: $name: server closed the connection"
}
raw_close_check raw-close 'GET / HTTP/1.1\r\nHost: 198.18.0.1\r\nConnection: close\r\n\r\n'
raw_close_check raw-http10 'GET / HTTP/1.0\r\n\r\n'

expect_tcpterm_alive
stop_tcpterm
