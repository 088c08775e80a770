#!/usr/bin/env bash
# Runtime commands on backends through telemetry (issue 10):
# /tcpterm/backend_set,POOL,A.B.C.D:PORT,weight=N|drain|disable|enable.
# Two echo backends in the client namespace (198.18.0.11-12) greet each
# connection with their name. A long connection (a line echoed every 0.2 s
# for 4 s) lands on one backend; that backend is drained while it runs: new
# connections all go to the other one, the long one completes with every
# line echoed, then "drained" is logged; enable brings it back, weight=3
# gives it 3 of 4 connections, disable takes it out again. One log line per
# change; bad commands are refused; the exit summary shows the admin state.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
B1=198.18.0.11 B2=198.18.0.12 PORT=9000

topo_up
pids=()
for i in 1 2; do
  cli ip addr add "198.18.0.1$i/24" dev tt-cli0
  ip netns exec "$TT_CLI_NS" "$TT_PY" -B "$TT_ROOT/tests/integration/named_echo.py" "198.18.0.1$i" "$PORT" "b$i" &
  pids+=($!)
done
for i in 1 2; do
  for _ in $(seq 50); do cli bash -c "echo >/dev/tcp/198.18.0.1$i/$PORT" 2>/dev/null && break; sleep 0.1; done
done

start_tcpterm --listen "8000=proxy,pool=web" \
  --pool.web.backend="$B1:$PORT" --pool.web.backend="$B2:$PORT" --pool.web.algorithm=wrr

client() { cli "$TT_PY" -B "$TT_ROOT/tests/integration/lb_admin_client.py" "$@"; }
count() { grep -c "^$1\$" "$2" || true; }
tel() { echo "$1" | dpdk-telemetry.py -f "$TT_PREFIX" | tail -n 1; }
set_backend() {  # BACKEND ACTION: the reply's admin state and weight
  local reply
  reply=$(tel "/tcpterm/backend_set,web,$1:$PORT,$2")
  log "backend_set,web,$1:$PORT,$2 -> $reply" >&2
  "$TT_PY" -c "import json,sys; r=json.loads(sys.argv[1])['/tcpterm/backend_set']; print(r['admin'], r['weight'])" "$reply"
}
other() { [[ $1 == b1 ]] && echo b2 || echo b1; }
addr_of() { [[ $1 == b1 ]] && echo "$B1" || echo "$B2"; }

# The long connection, in the background; its greeting says where it went.
client long "$TT_ADDR" 8000 4 "$TT_WORK/long.name" >"$TT_WORK/long.out" 2>&1 &
long_pid=$!
for _ in $(seq 50); do [[ -s "$TT_WORK/long.name" ]] && break; sleep 0.1; done
LONG=$(cat "$TT_WORK/long.name")
[[ $LONG == b1 || $LONG == b2 ]] || fail "long connection: no greeting ($LONG)"
OTHER=$(other "$LONG") DRAINED=$(addr_of "$LONG")
log "long connection on $LONG ($DRAINED): draining it"

assert_eq "drain 1" "$(set_backend "$DRAINED" drain)" "backend_set drain: reply"
await_log() {  # regex what
  for _ in $(seq 60); do grep -Eq -- "$1" "$TT_LOG" && break; sleep 0.05; done
  assert_grep "$1" "$TT_LOG" "$2"
}
await_log "pool web backend $DRAINED:$PORT drain \(was enabled\): no new connections, open ones finish, 1 open" \
  "drain logged with the one open connection"
client short "$TT_ADDR" 8000 20 >"$TT_WORK/drain"
assert_eq 20 "$(count "$OTHER" "$TT_WORK/drain")" "while $LONG drains: 20 new connections all on $OTHER"
reply=$(tel "/tcpterm/pool,web")
log "/tcpterm/pool,web: $reply"
pyget() { "$TT_PY" -c "import json,sys; print(json.loads(sys.argv[1])['/tcpterm/pool']$1)" "$reply"; }
idx=$([[ $LONG == b1 ]] && echo 0 || echo 1)
assert_eq drain "$(pyget "['admin'][$idx]")" "telemetry: $LONG's admin state"
assert_eq 1 "$(pyget "['current'][$idx]")" "telemetry: $LONG still carries the long connection"
assert_no_grep "backend $DRAINED:$PORT drained" "$TT_LOG" "not drained while the long connection is open"

wait "$long_pid" || true
long_out=$(cat "$TT_WORK/long.out")
log "long connection: $long_out"
[[ $long_out =~ ^$LONG\ ok\ ([0-9]+)$ ]] || fail "long connection through the drained backend did not complete: $long_out"
assert_gt "${BASH_REMATCH[1]}" 15 "long connection: lines echoed through the drained backend"
await_log "pool web backend $DRAINED:$PORT drained: no connections left" "drained logged once the long connection ended"

assert_eq "enabled 1" "$(set_backend "$DRAINED" enable)" "backend_set enable: reply"
client short "$TT_ADDR" 8000 20 >"$TT_WORK/enabled"
assert_eq 10 "$(count "$LONG" "$TT_WORK/enabled")" "enabled again: $LONG takes half of 20 (wrr)"

assert_eq "enabled 3" "$(set_backend "$DRAINED" weight=3)" "backend_set weight=3: reply"
client short "$TT_ADDR" 8000 40 >"$TT_WORK/weight"
assert_eq 30 "$(count "$LONG" "$TT_WORK/weight")" "weight 3:1: $LONG takes 30 of 40"

assert_eq "disabled 3" "$(set_backend "$DRAINED" disable)" "backend_set disable: reply"
client short "$TT_ADDR" 8000 10 >"$TT_WORK/disabled"
assert_eq 10 "$(count "$OTHER" "$TT_WORK/disabled")" "disabled: 10 new connections all on $OTHER"
# Once more: no change, no log line.
assert_eq "disabled 3" "$(set_backend "$DRAINED" disable)" "backend_set disable again: reply"

for bad in "web,$DRAINED:$PORT,stop" "web,198.18.0.99:$PORT,drain" "nopool,$DRAINED:$PORT,drain" "web" ""; do
  reply=$(tel "/tcpterm/backend_set,$bad")
  log "backend_set,$bad -> $reply"
  [[ $reply == *'"admin"'* ]] && fail "backend_set,$bad was accepted: $reply"
done
log "ok: malformed commands and unknown pools or backends are refused"

changes=$(grep -c "pool web backend $DRAINED:$PORT \(drain\|enabled\|weight\|disabled\|drained\)" "$TT_LOG")
assert_eq 5 "$changes" "log lines about $DRAINED: drain, drained, enabled, weight, disabled"
expect_tcpterm_alive
stop_tcpterm
assert_grep "^backend web $DRAINED:$PORT: state up weight 3 .* admin disabled$" "$TT_LOG" "exit summary: admin state and weight"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
