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
# VIPs: a listener on an address tcpterm does not own, an address twice.
expect_rejected listen-not-ours 'listen' --config "$TT_CONF" --eal "$EAL" \
  --address 198.18.0.1/24 --address 198.18.0.10/24 --listen 198.18.0.11:80=http
expect_rejected address-twice 'address' --config "$TT_CONF" --eal "$EAL" \
  --address 198.18.0.1/24 --address 198.18.0.1/32

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
expect_rejected bad-comp-sack-nr 'tcp\.comp_sack_nr' --config "$TT_CONF" --eal "$EAL" --tcp.comp_sack_nr 256

# Backend pools ([pool.NAME] sections): each bad key is named with its pool.
pool_conf() {  # NAME LINES...: the default config plus one [pool.web] section
  local name=$1; shift
  { cat "$TT_CONF"; printf '\n[pool.web]\n'; printf '%s\n' "$@"; } >"$TT_WORK/$name.conf"
}
pool_conf pool-algorithm 'backend = 198.18.1.2:80' 'algorithm = random'
expect_rejected pool-algorithm 'pool\.web\.algorithm' --config "$TT_WORK/pool-algorithm.conf" --eal "$EAL"
pool_conf pool-backend 'backend = 198.18.1.2'
expect_rejected pool-backend 'pool\.web\.backend' --config "$TT_WORK/pool-backend.conf" --eal "$EAL"
pool_conf pool-weight 'backend = 198.18.1.2:80,weight=0'
expect_rejected pool-weight 'pool\.web\.backend weight' --config "$TT_WORK/pool-weight.conf" --eal "$EAL"
pool_conf pool-unknown-key 'backend = 198.18.1.2:80' 'colour = red'
expect_rejected pool-unknown-key 'pool\.web\.colour' --config "$TT_WORK/pool-unknown-key.conf" --eal "$EAL"
pool_conf pool-no-backend 'algorithm = wrr'
expect_rejected pool-no-backend 'pool\.web\.backend' --config "$TT_WORK/pool-no-backend.conf" --eal "$EAL"
pool_conf pool-timeout 'backend = 198.18.1.2:80' 'connect_timeout = 0'
expect_rejected pool-timeout 'pool\.web\.connect_timeout' --config "$TT_WORK/pool-timeout.conf" --eal "$EAL"
pool_conf pool-client-timeout 'backend = 198.18.1.2:80' 'client_timeout = -1'
expect_rejected pool-client-timeout 'pool\.web\.client_timeout' --config "$TT_WORK/pool-client-timeout.conf" --eal "$EAL"
pool_conf pool-server-timeout 'backend = 198.18.1.2:80' 'server_timeout = 1h'
expect_rejected pool-server-timeout 'pool\.web\.server_timeout' --config "$TT_WORK/pool-server-timeout.conf" --eal "$EAL"
pool_conf pool-tunnel-timeout 'backend = 198.18.1.2:80' 'tunnel_timeout = 86400001'
expect_rejected pool-tunnel-timeout 'pool\.web\.tunnel_timeout' --config "$TT_WORK/pool-tunnel-timeout.conf" --eal "$EAL"
# Source pool: an address tcpterm does not own, a malformed one, a bad range.
pool_conf pool-source 'backend = 198.18.1.2:80' 'source = 198.18.0.77'
expect_rejected pool-source-not-ours 'pool\.web\.source' --config "$TT_WORK/pool-source.conf" --eal "$EAL"
pool_conf pool-source-bad 'backend = 198.18.1.2:80' 'source = 198.18.0.1,nowhere'
expect_rejected pool-source-bad 'pool\.web\.source' --config "$TT_WORK/pool-source-bad.conf" --eal "$EAL"
pool_conf pool-source-ports 'backend = 198.18.1.2:80' 'source_ports = 20000-10000'
expect_rejected pool-source-ports 'pool\.web\.source_ports' --config "$TT_WORK/pool-source-ports.conf" --eal "$EAL"
pool_conf pool-source-ports-form 'backend = 198.18.1.2:80' 'source_ports = 20000'
expect_rejected pool-source-ports-form 'pool\.web\.source_ports' --config "$TT_WORK/pool-source-ports-form.conf" --eal "$EAL"
expect_rejected tw-reuse 'tcp\.tw_reuse' --config "$TT_CONF" --eal "$EAL" --tcp.tw_reuse=2
pool_conf pool-retries 'backend = 198.18.1.2:80' 'retries = many'
expect_rejected pool-retries 'pool\.web\.retries' --config "$TT_WORK/pool-retries.conf" --eal "$EAL"
pool_conf pool-table 'backend = 198.18.1.2:80' 'table_size = 65536'
expect_rejected pool-table 'pool\.web\.table_size' --config "$TT_WORK/pool-table.conf" --eal "$EAL"
pool_conf pool-proxy-protocol 'backend = 198.18.1.2:80' 'proxy_protocol = v3'
expect_rejected pool-proxy-protocol 'pool\.web\.proxy_protocol' --config "$TT_WORK/pool-proxy-protocol.conf" --eal "$EAL"
pool_conf pool-health-check 'backend = 198.18.1.2:80' 'health_check = udp'
expect_rejected pool-health-check 'pool\.web\.health_check' --config "$TT_WORK/pool-health-check.conf" --eal "$EAL"
pool_conf pool-check-timeout 'backend = 198.18.1.2:80' 'health_check = tcp' 'check_interval = 500' 'check_timeout = 600'
expect_rejected pool-check-timeout 'pool\.web\.check_timeout' --config "$TT_WORK/pool-check-timeout.conf" --eal "$EAL"
pool_conf pool-ok 'backend = 198.18.1.2:80'
expect_rejected pool-flag 'pool\.web\.algorithm' --config "$TT_WORK/pool-ok.conf" --eal "$EAL" --pool.web.algorithm=fastest
expect_rejected listen-unknown-pool 'listen pool' --config "$TT_WORK/pool-ok.conf" --eal "$EAL" --listen 8080=proxy,pool=nope
expect_rejected listen-pool-and-backend 'listen' --config "$TT_WORK/pool-ok.conf" --eal "$EAL" \
  --listen 8080=proxy,pool=web,backend=198.18.1.2:80
