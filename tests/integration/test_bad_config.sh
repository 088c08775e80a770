#!/usr/bin/env bash
# Bad option values and unknown keys stop tcpterm before DPDK starts:
# exit code 2 and one line on stderr naming the key.
# No topology needed; each run happens in a throw-away empty network
# namespace (unshare --net) so a tcpterm that wrongly starts anyway cannot
# reach any network.
source "$(dirname "$0")/lib.sh"

[[ -x "$TCPTERM" ]] || fail "tcpterm binary not found at $TCPTERM (build first)"

# If DPDK did start by mistake, keep it harmless: our own prefix, a null port.
EAL="-l 0 --no-huge -m 64 --no-pci --file-prefix $TT_PREFIX --vdev=net_null0"

# expect_rejected NAME KEY-REGEX tcpterm-args...
expect_rejected() {
  local name=$1 key=$2 rc=0; shift 2
  log "$name: tcpterm $*"
  unshare --net -- timeout 10 "$TCPTERM" "$@" >"$TT_WORK/$name.out" 2>"$TT_WORK/$name.err" || rc=$?
  echo "  stderr: $(cat "$TT_WORK/$name.err")"
  [[ $rc -ne 124 ]] || fail "$name: tcpterm did not exit within 10 s (it started instead of rejecting)"
  assert_eq 2 "$rc" "$name: exit code"
  assert_eq 1 "$(wc -l <"$TT_WORK/$name.err")" "$name: lines on stderr"
  assert_grep "$key" "$TT_WORK/$name.err" "$name: stderr names the key ($key)"
  assert_no_grep 'tcpterm: ready' "$TT_WORK/$name.out" "$name: never became ready"
}

expect_rejected bad-address 'address' --config "$TT_CONF" --eal "$EAL" --address 300.1.1.1/24
expect_rejected bad-listen-port 'listen' --config "$TT_CONF" --eal "$EAL" --listen 70000=echo

# Unknown key in the INI file: the default config with one bogus key put
# before the first section, so it is a top-level key.
{ echo "no_such_key = 1"; cat "$TT_CONF"; } >"$TT_WORK/unknown.conf"
expect_rejected unknown-ini-key 'no_such_key' --config "$TT_WORK/unknown.conf" --eal "$EAL"

# Unknown key and out-of-range value inside a section ([tcp]).
{ cat "$TT_CONF"; printf '\n[tcp]\nno_such_tcp_key = 1\n'; } >"$TT_WORK/unknown-tcp.conf"
expect_rejected unknown-ini-section-key 'no_such_tcp_key' --config "$TT_WORK/unknown-tcp.conf" --eal "$EAL"
# A value out of range in the file: --tcp.rcvbuf given only there (1 byte).
grep -v '^[[:space:]]*rcvbuf[[:space:]]*=' "$TT_CONF" >"$TT_WORK/bad-rcvbuf.conf"
printf '\n[tcp]\nrcvbuf = 1\n' >>"$TT_WORK/bad-rcvbuf.conf"
expect_rejected bad-ini-value 'rcvbuf' --config "$TT_WORK/bad-rcvbuf.conf" --eal "$EAL"
