#!/usr/bin/env bash
# Backend connections from a source pool, and TIME_WAIT reuse toward the
# backend (issue 10). A pool with source = two VIPs and source_ports = 5
# ports: 10 tuples toward its one backend (peer_echo.py, which greets each
# connection with the address and port it came from). Each client closes
# first, so tcpterm ends in TIME_WAIT toward the backend on that tuple.
#  - 10 connections use the 10 tuples, each address 5 times, ports in range;
#  - an 11th at once finds none free (all in TIME_WAIT, the backend's last
#    timestamp under 1 s old): its client is reset (TCPNoEphemeralPort);
#  - 1.2 s later 10 more get through on the same tuples: TWRecycled 10;
#  - with tcp.tw_reuse = false the same 11th, 1.2 s later, is still reset.
source "$(dirname "$0")/lib.sh"

topo_up
coproc BACKEND { cli "$TT_PY" -u "$TT_ROOT/tests/integration/peer_echo.py" 198.18.0.2 9100; }
read -r -t 10 ready <&"${BACKEND[0]}" || fail "the backend did not start"

POOL=(--address 198.18.0.1/24 --address 198.18.0.10/24 --address 198.18.0.11/24
  --listen "8000=proxy,pool=src" --pool.src.backend=198.18.0.2:9100
  --pool.src.source=198.18.0.10,198.18.0.11 --pool.src.source_ports=20000-20004 --pool.src.retries=0)

# N connections in a row, each: read the greeting, close first (FIN), wait
# for the echo's FIN. One line each: "ok SOURCE" or "reset".
clients() {  # N
  cli "$TT_PY" - "$TT_ADDR" "$1" <<'PY'
import socket, sys
for _ in range(int(sys.argv[2])):
    try:
        s = socket.create_connection((sys.argv[1], 8000), timeout=5)
        f = s.makefile("rb")
        line = f.readline().decode().strip()
        if not line:
            raise ConnectionResetError
        s.shutdown(socket.SHUT_WR)
        while s.recv(100):
            pass
        print("ok", line)
    except ConnectionResetError:
        print("reset")
    finally:
        s.close()
PY
}

start_tcpterm "${POOL[@]}"
clients 10 >"$TT_WORK/first"
assert_eq 10 "$(grep -c '^ok ' "$TT_WORK/first")" "10 connections through the pool"
assert_eq 10 "$(sort -u "$TT_WORK/first" | wc -l)" "10 distinct source tuples"
assert_eq 5 "$(grep -c '^ok 198\.18\.0\.10:2000[0-4]$' "$TT_WORK/first")" "5 from 198.18.0.10, ports 20000-20004"
assert_eq 5 "$(grep -c '^ok 198\.18\.0\.11:2000[0-4]$' "$TT_WORK/first")" "5 from 198.18.0.11, ports 20000-20004"
assert_eq reset "$(clients 1)" "an 11th at once: every tuple in TIME_WAIT under 1 s, the client is reset"
sleep 1.2
clients 10 >"$TT_WORK/second"
assert_eq 10 "$(grep -c '^ok ' "$TT_WORK/second")" "1.2 s later: 10 more on the TIME_WAIT tuples"
expect_tcpterm_alive
stop_tcpterm
assert_eq 10 "$(tt_counter TWRecycled)" "TWRecycled"
assert_eq 1 "$(tt_counter TCPNoEphemeralPort)" "TCPNoEphemeralPort (the 11th)"

start_tcpterm "${POOL[@]}" --tcp.tw_reuse=false
clients 10 >"$TT_WORK/third"
assert_eq 10 "$(grep -c '^ok ' "$TT_WORK/third")" "tw_reuse off: 10 connections"
sleep 1.2
assert_eq reset "$(clients 1)" "tw_reuse off: 1.2 s later the 11th is still reset"
stop_tcpterm
assert_eq 0 "$(tt_counter TWRecycled)" "tw_reuse off: TWRecycled"
exec {BACKEND[1]}>&-
wait 2>/dev/null || true
