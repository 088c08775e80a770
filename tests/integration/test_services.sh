#!/usr/bin/env bash
# Quick checks of the small RFC services in the default config:
# discard (9, RFC 863), daytime (13, RFC 867), chargen (19, RFC 864).
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

# discard: accepts data and sends nothing back. -N -q 2: half-close after
# sending, then wait up to 2 s for anything the server might send.
rc=0
head -c 100000 /dev/urandom | cli timeout 15 nc -N -q 2 "$TT_ADDR" 9 >"$TT_WORK/discard.out" || rc=$?
assert_eq 0 "$rc" "discard: nc exit code (connect + send)"
assert_eq 0 "$(stat -c %s "$TT_WORK/discard.out")" "discard: bytes received"

# daytime: one line, then the server closes. -d: nc sends nothing and exits
# when the server closes; the timeout catches a server that does not close.
rc=0
cli timeout 5 nc -d "$TT_ADDR" 13 >"$TT_WORK/daytime.out" || rc=$?
[[ $rc -ne 124 ]] || fail "daytime: server did not close the connection within 5 s"
log "daytime said: $(cat "$TT_WORK/daytime.out")"
assert_eq 1 "$(wc -l <"$TT_WORK/daytime.out")" "daytime: number of lines"
assert_grep '[0-9]' "$TT_WORK/daytime.out" "daytime: line contains a date"

# chargen: read 100 KB and check the RFC 864 pattern. head closes the pipe
# after 100 KB, nc then dies of SIGPIPE; that is expected.
cli timeout 20 bash -c "nc -d $TT_ADDR 19 | head -c 102400" >"$TT_WORK/chargen.out" || true
assert_eq 102400 "$(stat -c %s "$TT_WORK/chargen.out")" "chargen: bytes read"
# RFC 864: lines of 72 characters from the ring of 95 printable ASCII
# characters (32..126), CR LF after each, every line starting one character
# further along the ring than the previous one.
python3 - "$TT_WORK/chargen.out" <<'PY' || fail "chargen: data does not follow the RFC 864 pattern"
import sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\r\n")[:-1]          # the last piece is a partial line
ring = bytes(range(32, 127))
assert len(lines) > 1000, "only %d complete CRLF-terminated lines" % len(lines)
prev = None
for i, l in enumerate(lines):
    assert len(l) == 72, "line %d has %d characters, want 72: %r" % (i, len(l), l[:80])
    start = l[0] - 32
    want = (ring * 2)[start:start + 72]
    assert 0 <= start < 95 and l == want, "line %d is not 72 consecutive ring characters: %r" % (i, l)
    if prev is not None:
        assert start == (prev + 1) % 95, "line %d starts at %r, previous at %r" % (i, chr(start + 32), chr(prev + 32))
    prev = start
print("chargen: %d lines follow the RFC 864 pattern" % len(lines))
PY

expect_tcpterm_alive
stop_tcpterm
