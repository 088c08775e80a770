#!/usr/bin/env bash
# Connections that cannot be pinned (issue: hostile peers):
# 1. zero-window orphans (pkt_orphans.py): five peers ask for a response with
#    their window closed and answer every probe; tcpterm frees them after
#    tcp.orphan_retries probes (Linux keeps such orphans ~280 s: its probe
#    counter restarts with every answer);
# 2. one source with idle connections: 198.18.0.2 opens 40 and holds them;
#    max_per_source=16 refuses the rest with RST, another address
#    (198.18.0.3) is served meanwhile, and idle_timeout resets the idle ones.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
export TT_ROOT_NETNS=/proc/$$/ns/net

topo_up
cli ip addr add 198.18.0.3/24 dev tt-cli0
start_tcpterm --tcp.orphan_retries 3 --tcp.rto_max_ms 2000 \
  --listen 80=http --listen "8080=http,max_per_source=16,idle_timeout=3000"

pkt_rc=0
( pkt pkt_orphans.py ) | tee "$TT_WORK/orphans.out" || pkt_rc=$?

# One source's idle connections (Linux sockets in the client namespace).
cat >"$TT_WORK/idle.py" <<'PY'
import socket, sys, time
held, refused = [], 0
for i in range(40):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("198.18.0.1", 8080))
        held.append(s)
    except (ConnectionRefusedError, ConnectionResetError):
        refused += 1
print("held %d refused %d" % (len(held), refused), flush=True)
time.sleep(float(sys.argv[1]))
reset = 0
for s in held:
    try:
        s.settimeout(0.5)
        if s.recv(1) == b"":
            reset += 1
    except (ConnectionResetError, socket.timeout) as e:
        reset += isinstance(e, ConnectionResetError)
print("reset %d" % reset, flush=True)
PY
cli "$TT_PY" "$TT_WORK/idle.py" 4.5 >"$TT_WORK/idle.out" 2>&1 &
idle_pid=$!
sleep 1
other_ok=0
for _ in 1 2 3 4 5; do
  cli curl -s -o /dev/null -m 2 --interface 198.18.0.3 "http://$TT_ADDR:8080/" && other_ok=$((other_ok + 1))
done
wait "$idle_pid" || true
cat "$TT_WORK/idle.out"
expect_tcpterm_alive
stop_tcpterm
assert_grep '^held 16 refused 24$' "$TT_WORK/idle.out" "one address holds 16 connections, the other 24 are refused"
assert_eq 5 "$other_ok" "requests from another address served meanwhile"
assert_grep '^reset 16$' "$TT_WORK/idle.out" "the 16 idle connections were reset by idle_timeout"
assert_eq 24 "$(tt_counter TCPPerSourceRejected)" "TCPPerSourceRejected"
assert_eq 16 "$(tt_counter TCPAbortOnIdle)" "TCPAbortOnIdle"
assert_eq 0 "$(tt_counter CurrOrphans)" "CurrOrphans at exit"
((pkt_rc == 0)) || fail "pkt_orphans.py: checks failed, see FAIL lines above"
