#!/usr/bin/env bash
# Real Linux clients with each of the TCP options the kernel can switch off
# (net.ipv4.tcp_timestamps, tcp_sack, tcp_window_scaling in the client
# namespace): whatever the client offers, tcpterm negotiates exactly that
# (RFC 7323 §2-3, RFC 2018: an option is used only when both SYNs carry it;
# read back from the client's struct tcp_info), curl fetches the http page,
# and 1 MB goes through echo unchanged.
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

head -c 1M /dev/urandom >"$TT_WORK/in"
want_sha=$(sha256sum <"$TT_WORK/in" | cut -d' ' -f1)

# ts sack ws: all on, each one off, all off.
for combo in "1 1 1" "0 1 1" "1 0 1" "1 1 0" "0 0 0"; do
  read -r ts sack ws <<<"$combo"
  name="ts=$ts,sack=$sack,ws=$ws"
  cli sysctl -qw net.ipv4.tcp_timestamps="$ts" net.ipv4.tcp_sack="$sack" net.ipv4.tcp_window_scaling="$ws"

  info=$(cli "$TT_PY" -B "$TT_ROOT/tests/integration/tcpinfo_probe.py" "$TT_ADDR") || fail "$name: tcp_info probe failed"
  want="ts=$ts sack=$sack wscale=$ws snd_wscale=$((ws ? 6 : 0))"
  # Shift 6: what the default tcp.rcvbuf_max (2 MiB) needs.
  assert_eq "$want" "$info" "$name: options in use on the client's connection (tcpterm's shift 6)"

  out=$(cli curl -s --max-time 10 -o "$TT_WORK/body" -D "$TT_WORK/hdr" -w '%{http_code} %{size_download}' \
        "http://$TT_ADDR/") || fail "$name: curl failed (exit $?)"
  len=$(tr -d '\r' <"$TT_WORK/hdr" | sed -n 's/^[Cc]ontent-[Ll]ength: *//p')
  [[ -n "$len" && "$len" -gt 0 ]] || fail "$name: no Content-Length in the response"
  assert_eq "200 $len" "$out" "$name: curl status and body size (Content-Length)"

  rc=0
  cli timeout 30 nc -N "$TT_ADDR" 7 <"$TT_WORK/in" >"$TT_WORK/out" || rc=$?
  assert_eq 0 "$rc" "$name: nc exit code (1 MB echo)"
  assert_eq "$want_sha" "$(sha256sum <"$TT_WORK/out" | cut -d' ' -f1)" "$name: sha256 of 1 MB echoed"
done
cli sysctl -qw net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=1

expect_tcpterm_alive
stop_tcpterm
