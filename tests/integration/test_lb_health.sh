#!/usr/bin/env bash
# Active health checks (issue 10), run by the workers: two Python HTTP
# backends (198.18.0.11-12) behind two pools, one checked with an HTTP GET of
# /id expecting 200, one with a TCP connect; interval 300 ms, rise 2, fall 3.
# One backend is killed: both pools mark it down within fall x interval (the
# kernel refuses at once) and every request goes to the other; it comes back:
# marked up within rise x interval and used again. One log line per change;
# check counters in telemetry and the exit summary.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
B1=198.18.0.11 B2=198.18.0.12 INTERVAL=300 RISE=2 FALL=3

topo_up
start_backend() {  # N: prints the server's pid
  mkdir -p "$TT_WORK/www$1"
  echo "b$1" >"$TT_WORK/www$1/id"
  # Not through cli(), a function: $! must be the server itself, to kill it.
  ip netns exec "$TT_CLI_NS" "$TT_PY" -m http.server 80 --bind "198.18.0.1$1" --directory "$TT_WORK/www$1" \
    >/dev/null 2>&1 &
  echo $!
}
await_backend() { for _ in $(seq 50); do cli bash -c "echo >/dev/tcp/$1/80" 2>/dev/null && return; sleep 0.1; done; fail "backend $1 did not start"; }
for i in 1 2; do cli ip addr add "198.18.0.1$i/24" dev tt-cli0; done
pid1=$(start_backend 1) pid2=$(start_backend 2)
await_backend $B1; await_backend $B2

common=(--pool.http.algorithm=wrr --pool.tcp.algorithm=wrr)
for p in http tcp; do
  common+=(--pool.$p.backend="$B1:80" --pool.$p.backend="$B2:80" --pool.$p.health_check=$p
           --pool.$p.check_interval=$INTERVAL --pool.$p.check_timeout=200 --pool.$p.rise=$RISE --pool.$p.fall=$FALL
           --pool.$p.down_time=600000)
done
start_tcpterm --listen "8001=proxy,pool=http" --listen "8002=proxy,pool=tcp" \
  "${common[@]}" --pool.http.check_path=/id --pool.http.check_status=200

get() {  # PORT N: the backends' names, one per line ("error" for a failure)
  for _ in $(seq "$2"); do cli curl -s --max-time 5 "http://$TT_ADDR:$1/id" || echo error; done
}
count() { grep -c "^$1\$" "$2" || true; }
# await_line REGEX START_MS: ms from START_MS until the log has the line
# (fails after 5 s).
await_line() {
  for _ in $(seq 250); do
    grep -Eq -- "$1" "$TT_LOG" && { echo $(( $(now_ms) - $2 )); return; }
    sleep 0.02
  done
  fail "no log line /$1/ within 5 s"
}

sleep 1  # a few checks pass: both up, nothing logged
assert_no_grep 'health checks' "$TT_LOG" "no health change while both backends answer"
get 8001 4 >"$TT_WORK/before"
assert_eq 2 "$(count b2 "$TT_WORK/before")" "before: b2 serves half of 4 (wrr)"

# marked STATE COUNT LIMIT_MS: both pools log b2's change to STATE within
# LIMIT_MS, plus 400 ms: the control thread's 50 ms tick, this poll's 20 ms,
# and one more check interval (300 ms) for a busy 2-core machine, where the
# backend's own start (python) and the check's connect can each be late.
marked() {
  local t0 t_http t_tcp
  t0=$(now_ms)
  t_http=$(await_line "pool http backend $B2:80 $1: $2 health checks" "$t0")
  t_tcp=$(await_line "pool tcp backend $B2:80 $1: $2 health checks" "$t0")
  log "b2 marked $1 after $t_http ms (http check), $t_tcp ms (tcp check); limit $3 ms"
  assert_lt "$t_http" $(($3 + 400)) "http check: marked $1 within $3 ms (+400 ms)"
  assert_lt "$t_tcp" $(($3 + 400)) "tcp check: marked $1 within $3 ms (+400 ms)"
}

kill "$pid2"; wait "$pid2" 2>/dev/null || true
marked down "$FALL" $((FALL * INTERVAL))  # the kernel refuses each check at once
get 8001 6 >"$TT_WORK/down-http"
get 8002 6 >"$TT_WORK/down-tcp"
assert_eq 6 "$(count b1 "$TT_WORK/down-http")" "b2 down: every request of the http-checked pool on b1"
assert_eq 6 "$(count b1 "$TT_WORK/down-tcp")" "b2 down: every request of the tcp-checked pool on b1"

pid2=$(start_backend 2)
await_backend $B2
marked up "$RISE" $((RISE * INTERVAL))
get 8001 4 >"$TT_WORK/up"
assert_eq 2 "$(count b2 "$TT_WORK/up")" "b2 up again: serves half of 4"

reply=$(echo "/tcpterm/pool,http" | dpdk-telemetry.py -f "$TT_PREFIX" | tail -n 1)
log "/tcpterm/pool,http: $reply"
pyget() { "$TT_PY" -c "import json,sys; print(json.loads(sys.argv[1])['/tcpterm/pool']$1)" "$reply"; }
assert_eq "[1, 1]" "$(pyget "['up']")" "telemetry: both up"
assert_eq "[1, 1]" "$(pyget "['last_check']")" "telemetry: last checks passed"
assert_gt "$(pyget "['checks_failed'][1]")" $((FALL - 1)) "telemetry: b2's failed checks"
assert_gt "$(pyget "['checks_passed'][0]")" 5 "telemetry: b1's passed checks"
assert_eq 4 "$(grep -c 'health checks' "$TT_LOG")" "one log line per change: down and up, two pools"

expect_tcpterm_alive
stop_tcpterm
assert_grep "^backend http $B2:80: state up .* checks_passed [1-9][0-9]* checks_failed [1-9]" "$TT_LOG" "exit summary: check counters"
kill "$pid1" "$pid2" 2>/dev/null || true
wait 2>/dev/null || true
