#!/usr/bin/env bash
# HAProxy's timeouts per pool (issue 10): client_timeout, server_timeout and
# tunnel_timeout. An echo backend (proxy_backend.py) behind three pools:
#   ct: client_timeout 600, server_timeout 5000: a client that says nothing
#       sees a FIN (EOF, not a reset) about 0.6 s after connecting;
#   st: client_timeout 5000, server_timeout 600: the backend says nothing
#       either, so it is the server side that expires, at about 0.6 s;
#   tt: both 400, tunnel_timeout 1500: a line goes through and back (both
#       ways: a tunnel now), then silence: the session lasts past 400 ms and
#       ends about 1.5 s after the echo.
# Counted per backend: client_timeouts and server_timeouts in /tcpterm/pool
# and the exit summary.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
topo_up
coproc BACKEND { cli "$TT_PY" -u "$TT_ROOT/tests/integration/proxy_backend.py" 9000; }
read -r -t 10 ready <&"${BACKEND[0]}" || fail "the echo backend did not start"

B=198.18.0.2:9000
start_tcpterm --listen "8001=proxy,pool=ct" --listen "8002=proxy,pool=st" --listen "8003=proxy,pool=tt" \
  --pool.ct.backend=$B --pool.ct.client_timeout=600 --pool.ct.server_timeout=5000 \
  --pool.st.backend=$B --pool.st.client_timeout=5000 --pool.st.server_timeout=600 \
  --pool.tt.backend=$B --pool.tt.client_timeout=400 --pool.tt.server_timeout=400 --pool.tt.tunnel_timeout=1500

# Prints how the connection ended (eof/reset/hang) and the seconds from the
# connect (or from the echo, with a line to send) to that end.
idle_client() {  # PORT [LINE]
  cli "$TT_PY" - "$TT_ADDR" "$@" <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
t = time.monotonic()
if len(sys.argv) > 3:
    line = sys.argv[3].encode() + b"\n"
    s.sendall(line)
    got = b""
    while len(got) < len(line):
        got += s.recv(100)
    t = time.monotonic()
try:
    end = "eof" if s.recv(100) == b"" else "data"
except ConnectionResetError:
    end = "reset"
except socket.timeout:
    end = "hang"
print(end, "%.2f" % (time.monotonic() - t))
PY
}
in_range() {  # VALUE LO HI what
  "$TT_PY" -c "import sys; v,lo,hi=map(float,sys.argv[1:]); sys.exit(0 if lo<=v<=hi else 1)" "$1" "$2" "$3" ||
    fail "$4: $1 s not within $2..$3 s"
  log "ok: $4 ($1 s, bound $2..$3)"
}

read -r end secs <<<"$(idle_client 8001)"
assert_eq eof "$end" "client_timeout: the silent client's session ends with a FIN"
in_range "$secs" 0.55 1.2 "client_timeout 600 ms"
read -r end secs <<<"$(idle_client 8002)"
assert_eq eof "$end" "server_timeout: the silent backend's session ends with a FIN"
in_range "$secs" 0.55 1.2 "server_timeout 600 ms"
read -r end secs <<<"$(idle_client 8003 hello)"
assert_eq eof "$end" "tunnel_timeout: the session ends with a FIN"
in_range "$secs" 1.45 2.2 "tunnel_timeout 1500 ms replaces client and server 400 ms after the echo"

pool_field() {  # POOL FIELD
  echo "/tcpterm/pool,$1" | dpdk-telemetry.py -f "$TT_PREFIX" | tail -n 1 |
    "$TT_PY" -c "import json,sys; print(json.load(sys.stdin)['/tcpterm/pool']['$2'][0])"
}
assert_eq 1 "$(pool_field ct client_timeouts)" "telemetry: ct client_timeouts"
assert_eq 0 "$(pool_field ct server_timeouts)" "telemetry: ct server_timeouts"
assert_eq 1 "$(pool_field st server_timeouts)" "telemetry: st server_timeouts"
assert_eq 0 "$(pool_field st client_timeouts)" "telemetry: st client_timeouts"
tt_sum=$(( $(pool_field tt client_timeouts) + $(pool_field tt server_timeouts) ))
assert_eq 1 "$tt_sum" "telemetry: tt timeouts (either side)"

expect_tcpterm_alive
stop_tcpterm
assert_grep "^backend ct $B: state up .* client_timeouts 1 server_timeouts 0 " "$TT_LOG" "exit summary: ct's timeouts"
assert_grep "^backend st $B: state up .* client_timeouts 0 server_timeouts 1 " "$TT_LOG" "exit summary: st's timeouts"
exec {BACKEND[1]}>&-
wait 2>/dev/null || true
