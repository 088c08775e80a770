#!/usr/bin/env bash
# Backend pools behind the proxy (issue 10): three Python HTTP backends in
# the client namespace on addresses of their own (198.18.0.11-13), each
# serving a file that names it. Checks: wrr spreads requests by weight
# (3:1, exactly, one worker); maglev keeps one client address on one
# backend; maglev-4tuple spreads connections by weight; a backend that drops
# every SYN (nft) costs a client at most its share of connect_timeout and
# nobody fails, and it is marked down; a killed backend (refusing) is marked
# down and no client sees an error; per-backend counters in telemetry and in
# the exit summary.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
B1=198.18.0.11 B2=198.18.0.12 B3=198.18.0.13

topo_up
pids=()
for i in 1 2 3; do
  addr=198.18.0.1$i
  cli ip addr add "$addr/24" dev tt-cli0
  mkdir -p "$TT_WORK/www$i"
  echo "b$i" >"$TT_WORK/www$i/id"
  # Not through cli(), a function: $! must be the server itself, to kill it.
  ip netns exec "$TT_CLI_NS" "$TT_PY" -m http.server 80 --bind "$addr" --directory "$TT_WORK/www$i" >/dev/null 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  for _ in $(seq 50); do cli bash -c "echo >/dev/tcp/198.18.0.1$i/80" 2>/dev/null && break; sleep 0.1; done
done

# B3 drops every SYN sent to it (its kernel never sees them).
cli nft -f - <<NFT
table inet lbp_drop {
  chain input { type filter hook input priority -10; ip daddr $B3 tcp dport 80 tcp flags & (syn | ack) == syn drop; }
}
NFT

start_tcpterm \
  --listen "8001=proxy,pool=wrr" --listen "8002=proxy,pool=mag" --listen "8003=proxy,pool=mag4" \
  --listen "8004=proxy,pool=silent" --listen "8005=proxy,pool=killed" \
  --pool.wrr.backend="$B1:80,weight=3" --pool.wrr.backend="$B2:80" --pool.wrr.algorithm=wrr \
  --pool.mag.backend="$B1:80" --pool.mag.backend="$B2:80" \
  --pool.mag4.backend="$B1:80,weight=2" --pool.mag4.backend="$B2:80" --pool.mag4.algorithm=maglev-4tuple \
  --pool.silent.backend="$B1:80" --pool.silent.backend="$B3:80" --pool.silent.algorithm=wrr \
  --pool.silent.connect_timeout=1500 --pool.silent.retries=2 --pool.silent.fall=2 --pool.silent.down_time=600000 \
  --pool.killed.backend="$B1:80" --pool.killed.backend="$B2:80" --pool.killed.algorithm=wrr \
  --pool.killed.fall=2 --pool.killed.down_time=600000

# get PORT N: N requests, one connection each; prints the backends' names,
# one per line; a failed request prints "error".
get() {
  cli "$TT_PY" - "$TT_ADDR" "$1" "$2" <<'PY'
import sys, time, urllib.request
addr, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for _ in range(n):
    t = time.monotonic()
    try:
        body = urllib.request.urlopen("http://%s:%s/id" % (addr, port), timeout=10).read().decode().strip()
    except Exception as e:
        body = "error"
    print(body, "%.0f" % ((time.monotonic() - t) * 1000))
PY
}
count() { grep -c "^$1 " "$2" || true; }
# The control thread looks at health reports every 50 ms: give it a moment.
await_log() {  # regex what
  for _ in $(seq 40); do grep -Eq -- "$1" "$TT_LOG" && break; sleep 0.05; done
  assert_grep "$1" "$TT_LOG" "$2"
}

get 8001 40 >"$TT_WORK/wrr"
assert_eq 30 "$(count b1 "$TT_WORK/wrr")" "wrr 3:1, 40 requests: to b1"
assert_eq 10 "$(count b2 "$TT_WORK/wrr")" "wrr 3:1, 40 requests: to b2"

get 8002 20 >"$TT_WORK/mag"
assert_eq 1 "$(cut -d' ' -f1 "$TT_WORK/mag" | sort -u | wc -l)" "maglev: one client address, 20 connections, one backend"
assert_eq 0 "$(count error "$TT_WORK/mag")" "maglev: errors"

get 8003 150 >"$TT_WORK/mag4"
b1=$(count b1 "$TT_WORK/mag4") b2=$(count b2 "$TT_WORK/mag4")
log "maglev-4tuple 2:1, 150 connections: b1 $b1, b2 $b2"
assert_eq 150 "$((b1 + b2))" "maglev-4tuple: every request answered"
assert_gt "$b1" 80 "maglev-4tuple 2:1: b1 (expected 100)"
assert_gt "$b2" 30 "maglev-4tuple 2:1: b2 (expected 50)"

# B3 is silent: each client that lands on it waits one try's share (500 ms)
# and is served by B1; after fall (2) timeouts B3 is out.
get 8004 12 >"$TT_WORK/silent"
assert_eq 12 "$(count b1 "$TT_WORK/silent")" "silent backend: every request served by b1"
slowest=$(cut -d' ' -f2 "$TT_WORK/silent" | sort -n | tail -n 1)
log "silent backend: request times (ms): $(cut -d' ' -f2 "$TT_WORK/silent" | tr '\n' ' ')"
assert_lt "$slowest" 1500 "silent backend: slowest request, ms (within connect_timeout)"
await_log 'pool silent backend 198.18.0.13:80 down' "silent backend marked down"

# B2 dies: the kernel refuses, the client is retried on B1 at once.
kill "${pids[1]}"
wait "${pids[1]}" 2>/dev/null || true
get 8005 12 >"$TT_WORK/killed"
assert_eq 12 "$(count b1 "$TT_WORK/killed")" "killed backend: every request served by b1"
await_log 'pool killed backend 198.18.0.12:80 down' "killed backend marked down"
get 8005 6 >"$TT_WORK/after"
assert_eq 6 "$(count b1 "$TT_WORK/after")" "after it is down: every request served by b1"

assert_eq '{"/tcpterm/pools": {"pools": ["killed", "mag", "mag4", "silent", "wrr"]}}' \
  "$(echo "/tcpterm/pools" | dpdk-telemetry.py -f "$TT_PREFIX" | tail -n 1)" "telemetry: /tcpterm/pools"
reply=$(echo "/tcpterm/pool,silent" | dpdk-telemetry.py -f "$TT_PREFIX" | tail -n 1)
log "telemetry /tcpterm/pool,silent: $reply"
pyget() { "$TT_PY" -c "import json,sys; print(json.loads(sys.argv[1])['/tcpterm/pool']$2)" "$reply"; }
assert_eq "[1, 0]" "$(pyget "" "['up']")" "telemetry: silent pool's up"
assert_gt "$(pyget "" "['connect_timeouts'][1]")" 1 "telemetry: b3's connect timeouts"
assert_eq 12 "$(pyget "" "['connections'][0]")" "telemetry: b1's connections in the silent pool"

expect_tcpterm_alive
stop_tcpterm
assert_grep '^backend killed 198.18.0.12:80: state down .* connect_failures [1-9]' "$TT_LOG" "exit summary: killed backend down, refused connects"
assert_grep '^backend wrr 198.18.0.11:80: state up weight 3 connections 30 current 0 ' "$TT_LOG" "exit summary: wrr b1"
assert_gt "$(tt_counter TCPConnectTimeouts)" 1 "TCPConnectTimeouts"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
