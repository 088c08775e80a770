#!/usr/bin/env bash
# 200 MB through the proxy each way, with equal sha256 (issue 10). Real
# backends in the client namespace: hash_backend.py (a sink that answers with
# the sha256 of what it received, a source that sends a file) and
# proxy_backend.py (echo). Three transfers of the same 200 MB of random data:
#  - up: client -> tcpterm -> sink: the sink's sha256 equals the file's;
#  - down: source -> tcpterm -> client: the client's sha256 equals it;
#  - both at once: through the echo, what comes back equals what went.
# Each with a time limit (TRANSFER_TIMEOUT, default 180 s) and its rate
# logged; the backend byte counters in the exit summary cover each.
# test-timeout: 600
source "$(dirname "$0")/lib.sh"

SIZE_MB=${SIZE_MB:-200}
LIMIT=${TRANSFER_TIMEOUT:-180}
topo_up
head -c "${SIZE_MB}M" /dev/urandom >"$TT_WORK/data"
chmod 644 "$TT_WORK/data"
want=$(sha256sum <"$TT_WORK/data" | cut -d' ' -f1)
coproc HASHER { cli "$TT_PY" -u "$TT_ROOT/tests/integration/hash_backend.py" 9201 9202 "$TT_WORK/data"; }
read -r -t 10 ready <&"${HASHER[0]}" || fail "the hash backend did not start"
coproc ECHO { cli "$TT_PY" -u "$TT_ROOT/tests/integration/proxy_backend.py" 9000; }
read -r -t 10 ready <&"${ECHO[0]}" || fail "the echo backend did not start"

start_tcpterm --listen "8091=proxy,backend=198.18.0.2:9201" --listen "8092=proxy,backend=198.18.0.2:9202" \
  --listen "8080=proxy,backend=198.18.0.2:9000"

# timed WHAT SHELL-COMMAND: runs it in the client namespace, logs the time;
# fails past $LIMIT s.
timed() {
  local t0 rc=0
  t0=$(now_ms)
  timeout "$LIMIT" ip netns exec "$TT_CLI_NS" bash -c "$2" || rc=$?
  [[ $rc -eq 0 ]] || fail "$1: exit code $rc (124: not done within $LIMIT s)"
  log "$1: $SIZE_MB MB in $(( $(now_ms) - t0 )) ms"
}
sha() { cut -d' ' -f1 "$TT_WORK/$1.sha"; }

D="$TT_WORK/data"
timed up "nc -N $TT_ADDR 8091 <'$D' >'$TT_WORK/up.sha'"
assert_eq "$want" "$(sha up)" "up: sha256 the backend received"
timed down "nc -d $TT_ADDR 8092 | sha256sum >'$TT_WORK/down.sha'"
assert_eq "$want" "$(sha down)" "down: sha256 the client received"
timed "both ways at once" "nc -N $TT_ADDR 8080 <'$D' | sha256sum >'$TT_WORK/echo.sha'"
assert_eq "$want" "$(sha echo)" "both ways at once: sha256 of the echo"

expect_tcpterm_alive
stop_tcpterm
bytes=$((SIZE_MB * 1024 * 1024))
assert_grep "^backend [^ ]+ 198.18.0.2:9201: .* bytes_to_backend $bytes " "$TT_LOG" "exit summary: $bytes bytes to the sink"
assert_grep "^backend [^ ]+ 198.18.0.2:9202: .* bytes_from_backend $bytes " "$TT_LOG" "exit summary: $bytes bytes from the source"
assert_grep "^backend [^ ]+ 198.18.0.2:9000: .* bytes_to_backend $bytes bytes_from_backend $bytes " "$TT_LOG" \
  "exit summary: $bytes bytes each way through the echo"
exec {HASHER[1]}>&- {ECHO[1]}>&-
wait 2>/dev/null || true
