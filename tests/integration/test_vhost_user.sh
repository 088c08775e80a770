#!/usr/bin/env bash
# tcpterm on DPDK's virtio PMD: tcpterm drives a net_virtio_user port whose
# backend is tcpgen's net_vhost port, two DPDK processes joined by a
# vhost-user unix socket (no VM, no network namespace). tcpgen floods SYNs
# from spoofed sources while its legitimate HTTP clients connect; every
# legitimate connection must complete, and tcpterm's counters must show the
# flood answered with SYN cookies over the virtio port.
#
# The virtio path differs from af_packet/memif where it matters here: the
# port offers TCP checksum offload, so tcpterm leaves its TCP checksums to the
# device (virtio-net header NEEDS_CSUM) and the vhost side completes them in
# software; tcpgen counts a bad one as InCsumErrors.
#
# Both sides run with --no-huge -m 512 --no-shconf: the EAL backs --no-huge
# memory with a memfd, which virtio_user hands to the vhost side in
# VHOST_USER_SET_MEM_TABLE; no --single-file-segments and no hugepages needed.
source "$(dirname "$0")/lib.sh"

TCPGEN=${TCPGEN:-$(dirname "$TCPTERM")/tcpgen/tcpgen}
[[ -x "$TCPGEN" ]] || fail "tcpgen binary not found at $TCPGEN (build first)"
# The vhost PMD is a separate package in Debian (part of the DPDK runtime
# scripts/deps.sh installs); without it this machine cannot run the test.
ls /usr/lib/x86_64-linux-gnu/dpdk/pmds-*/librte_net_vhost.so* >/dev/null 2>&1 ||
  skip "DPDK's vhost PMD (librte_net_vhost) is not installed"

SOCK="$TT_WORK/vhost.sock"
GEN_PREFIX="$TT_PREFIX-gen"
GEN_LOG="$TT_WORK/tcpgen.log"
GEN_JSON="$TT_WORK/tcpgen.json"
GEN_PID=""
FLOOD_RATE=${VH_FLOOD_RATE:-50000}   # SYNs per second (a small CI machine)
CLIENTS_RATE=100                     # legitimate connections per second
DURATION=6

# lib.sh's EXIT trap stops tcpterm; tcpgen (ours) goes after it: with
# --hold-after it no longer polls, so neither side is forwarding when the
# other goes.
vh_exit() {
  local rc=$?
  set +e
  if [[ -n "$TT_PID" ]]; then kill -INT "$TT_PID" 2>/dev/null; sleep 1; fi
  if [[ -n "$GEN_PID" ]]; then
    kill -INT "$GEN_PID" 2>/dev/null
    for _ in $(seq 50); do tt_alive "$GEN_PID" || break; sleep 0.1; done
    kill -KILL "$GEN_PID" 2>/dev/null
    wait "$GEN_PID" 2>/dev/null
  fi
  ((rc == 0)) || { echo "--- tcpgen log:"; grep -v '^VHOST_CONFIG' "$GEN_LOG" 2>/dev/null | tail -n 20; }
  rm -rf "/var/run/dpdk/$GEN_PREFIX"
  (exit "$rc")
  tt_cleanup
}
trap vh_exit EXIT

# 1. tcpgen owns the vhost-user socket (net_vhost is the server by default)
# and waits up to 10 s for tcpterm to answer ARP. One lcore on core 0.
# On a busy machine a side can be descheduled long enough for its ring to
# fill and a SYN or SYN-ACK to be dropped (the client resends after 1 s, 3 s):
# each client gets 8 s, and 8 s after the run to finish (the drain ends as
# soon as every client is done).
log "starting tcpgen on net_vhost ($SOCK): flood $FLOOD_RATE pps, $CLIENTS_RATE clients/s, $DURATION s"
"$TCPGEN" --eal "--lcores=0@0 --no-huge -m 512 --no-pci --no-shconf --file-prefix $GEN_PREFIX --vdev=net_vhost0,iface=$SOCK,queues=1" \
  --client-address 198.18.0.2/24 --flood-rate "$FLOOD_RATE" --clients-rate "$CLIENTS_RATE" \
  --duration "$DURATION" --timeout-ms 8000 --drain-ms 8000 --hold-after -q --json "$GEN_JSON" >"$GEN_LOG" 2>&1 &
GEN_PID=$!
for _ in $(seq 100); do [[ -S "$SOCK" ]] && break; tt_alive "$GEN_PID" || break; sleep 0.1; done
[[ -S "$SOCK" ]] || { cat "$GEN_LOG"; fail "tcpgen did not create the vhost-user socket"; }

# 2. tcpterm on net_virtio_user, worker on core 1. The spoofed prefix is
# behind the gateway 198.18.0.2 (tcpgen), so SYN-ACKs need one ARP entry.
# A small SYN queue, so that cookies take over within the first moments.
TT_NETNS=0
TT_EAL="--lcores=0@0,1@1 --no-huge -m 512 --no-pci --no-shconf --vdev=net_virtio_user0,path=$SOCK,queues=1"
start_tcpterm --address 198.18.0.1/24 --gateway 198.18.0.2 --listen "80=http,syn_backlog=64"
assert_grep 'port 0 \(net_virtio_user\).*checksum offload rx off tx on' "$TT_LOG" \
  "tcpterm's port is the virtio PMD, with TCP checksum offload on TX"
# The memory virtio_user shared with the vhost side: the EAL's memfd.
memfds=$(find "/proc/$TT_PID/fd" -lname '/memfd:*' 2>/dev/null | wc -l)
assert_gt "$memfds" 0 "tcpterm's --no-huge memory is a memfd (what vhost-user maps)"

# 3. Wait for tcpgen's run to end (it then holds the port without polling).
deadline=$((SECONDS + DURATION + 30))
until grep -q 'holding the port' "$GEN_LOG"; do
  tt_alive "$GEN_PID" || { cat "$GEN_LOG"; fail "tcpgen exited early"; }
  ((SECONDS < deadline)) || fail "tcpgen did not finish within $((DURATION + 30)) s"
  sleep 0.5
done
grep -E '^ +(flood|to flood|clients|handshake|engine):' "$GEN_LOG" | sed "s/^/[$TT_NAME] tcpgen: /"
expect_tcpterm_alive
stop_tcpterm

# 4. What tcpgen saw: every legitimate connection completed, the flood went
# out and came back as SYN-ACKs, no bad checksum from tcpterm's offload.
gen() { "$TT_PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
v=d
for k in sys.argv[2].split("."): v=v[k]
print(int(v))' "$GEN_JSON" "$1"; }
tried=$(gen clients.tried)
sent=$(gen flood.sent)
assert_gt "$tried" $((CLIENTS_RATE * DURATION / 2)) "legitimate connections tried"
assert_eq "$tried" "$(gen clients.completed)" "legitimate connections completed (all of them)"
assert_eq 0 "$(gen clients.failed)" "legitimate connections failed"
# tcpgen paces, and waits while the virtio ring is full: on a busy 2-core
# machine it reached 10-20 k/s of the 50 k/s asked. A floor, not the rate.
assert_gt "$sent" 10000 "flood SYNs sent"
assert_gt "$(gen rx.flood_synack)" $((sent / 2)) "SYN-ACKs back to the flood addresses (over half the SYNs)"
assert_eq 0 "$(gen engine.InCsumErrors)" "tcpgen's InCsumErrors (tcpterm's offloaded TCP checksums)"

# 5. What tcpterm counted on the virtio port.
syns=$(tt_counter SynsReceived)
cookies=$(tt_counter SyncookiesSent)
# Flood sources ending in .255 are dropped before TCP as IpInMartians
# (tcpterm takes them for a broadcast address, whatever their network).
martians=$(tt_counter IpInMartians)
log "tcpterm: SynsReceived=$syns IpInMartians=$martians SyncookiesSent=$cookies SyncookiesRecv=$(tt_counter SyncookiesRecv) PassiveOpens=$(tt_counter PassiveOpens)"
# vhost never drops (tcpgen waits while the ring is full): every SYN arrives.
assert_gt $((syns + martians)) "$sent" "SYNs tcpterm received + martians (every flood SYN, and the clients')"
assert_gt "$cookies" $((sent / 2)) "SyncookiesSent (the flood answered with cookies)"
assert_gt "$(tt_counter PassiveOpens)" $((tried - 1)) "PassiveOpens (every legitimate connection)"
assert_eq 0 "$(tt_counter InCsumErrors)" "tcpterm's InCsumErrors"
