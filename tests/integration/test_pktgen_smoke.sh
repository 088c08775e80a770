#!/usr/bin/env bash
# Pktgen-DPDK's SYN flood (scripts/pktgen/syn_flood.pkt) against tcpterm, as
# scripts/pktgen/README.md tells a user to run it:
#  1. pktgen sends what the file claims: a second of its output on a net_pcap
#     port, read back: only SYNs, from the spoofed prefix 198.18.128.0/17, to
#     198.18.0.1:80, with varying addresses, ports and ISNs, good checksums;
#  2. the same file over memif floods tcpterm for a few seconds: tcpterm
#     counts the SYNs and answers them with cookies, and pktgen answers
#     tcpterm's ARP for its gateway (so the SYN-ACKs leave tcpterm).
#
# pktgen is not packaged in Debian 12. The test takes the binary from
# PKTGEN=/path/to/pktgen, or builds it once (scripts/pktgen/build.sh, cached in
# build-pktgen/) from PKTGEN_SRC (a Pktgen-DPDK 23.03.0 tree or tarball); for
# CI's convenience PKTGEN_SRC defaults to ../shared/tools/pktgen beside the
# repository when that exists. Without either it is skipped.
# test-timeout: 600
source "$(dirname "$0")/lib.sh"

# ---- the pktgen binary ------------------------------------------------------
if [[ -z "${PKTGEN:-}" ]]; then
  src=${PKTGEN_SRC:-}
  [[ -n "$src" || ! -e "$TT_ROOT/../shared/tools/pktgen" ]] || src="$TT_ROOT/../shared/tools/pktgen"
  [[ -n "$src" ]] || skip "no pktgen: set PKTGEN=/path/to/pktgen or PKTGEN_SRC=<Pktgen-DPDK 23.03.0 source> (scripts/pktgen/README.md)"
  [[ -e "$src" ]] || skip "PKTGEN_SRC=$src does not exist"
  log "building pktgen from $src (once; cached in build-pktgen/)"
  PKTGEN=$("$TT_ROOT/scripts/pktgen/build.sh" "$src" "$TT_ROOT/build-pktgen" | tail -n 1) ||
    fail "scripts/pktgen/build.sh failed for $src"
fi
[[ -x "$PKTGEN" ]] || fail "pktgen binary not found at $PKTGEN"
log "pktgen: $PKTGEN"

PG_PREFIX="$TT_PREFIX-pg"
PG_PID=""
pg_exit() {
  local rc=$?
  set +e
  if [[ -n "$PG_PID" ]]; then kill -KILL "$PG_PID" 2>/dev/null; wait "$PG_PID" 2>/dev/null; fi
  rm -rf "/var/run/dpdk/$PG_PREFIX"
  (exit "$rc")
  tt_cleanup
}
trap pg_exit EXIT

# run_pktgen SECONDS VDEV LOG: runs syn_flood.pkt on VDEV for SECONDS, then
# stops the port and quits (a second command file; pktgen reads no terminal
# here). Two lcores on core 0: the main one and the one that sends.
run_pktgen() {
  local secs=$1 vdev=$2 out=$3 rc=0
  printf 'delay %d\nstop 0\ndelay 500\nquit\n' "$((secs * 1000))" >"$TT_WORK/stop.pkt"
  (cd "$TT_ROOT" && exec timeout -k 5 $((secs + 40)) "$PKTGEN" --lcores=0@0,1@0 --no-huge -m 512 --no-pci \
    --no-shconf --file-prefix "$PG_PREFIX" --vdev="$vdev" \
    -- -P -m 1.0 -f scripts/pktgen/syn_flood.pkt -f "$TT_WORK/stop.pkt") </dev/null >"$out" 2>&1 &
  PG_PID=$!
  wait "$PG_PID" || rc=$?
  PG_PID=""
  ((rc == 0)) || { sed 's/\x1b\[[0-9;]*[a-zA-Z]//g' "$out" | grep -v '^ *$' | tail -n 20; fail "pktgen exited with $rc"; }
  assert_no_grep 'Cannot|panic|PANIC' "$out" "pktgen started without errors"
}

# ---- 1. what pktgen sends ---------------------------------------------------
log "pktgen -> net_pcap for 1 s"
run_pktgen 1 "net_pcap0,tx_pcap=$TT_WORK/pktgen.pcap" "$TT_WORK/pktgen-pcap.log"
"$TT_PY" - "$TT_WORK/pktgen.pcap" >"$TT_WORK/pcap.txt" <<'EOF'
# One line of facts about the frames in the pcap (plain struct parsing:
# a second of pktgen is too many frames for scapy).
import ipaddress, struct, sys

def csum_ok(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF

flood = ipaddress.ip_network("198.18.128.0/17")
n = syn_only = in_prefix = to_target = good_csum = 0
srcs, ports, seqs, payloads = set(), set(), set(), set()
with open(sys.argv[1], "rb") as f:
    f.read(24)
    while True:
        h = f.read(16)
        if len(h) < 16:
            break
        d = f.read(struct.unpack("<IIII", h)[2])
        n += 1
        if struct.unpack("!H", d[12:14])[0] != 0x0800 or d[23] != 6:
            continue
        ihl = (d[14] & 15) * 4
        total = struct.unpack("!H", d[16:18])[0]
        ip, tcp = d[14:14 + ihl], d[14 + ihl:14 + total]
        src = ipaddress.ip_address(ip[12:16])
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        syn_only += tcp[13] == 0x02
        in_prefix += src in flood
        to_target += ip[16:20] == bytes([198, 18, 0, 1]) and dport == 80
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
        good_csum += csum_ok(ip) and csum_ok(pseudo + tcp)
        srcs.add(src); ports.add(sport); seqs.add(seq)
        payloads.add(len(tcp) - (tcp[12] >> 4) * 4)
print(n, syn_only, in_prefix, to_target, good_csum, len(srcs), len(ports), len(seqs),
      max(payloads) if payloads else -1)
EOF
read -r frames syn_only in_prefix to_target good_csum n_src n_port n_seq payload <"$TT_WORK/pcap.txt"
log "pcap: $frames frames, $syn_only SYN only, $in_prefix from 198.18.128.0/17, $to_target to 198.18.0.1:80, $good_csum good checksums; $n_src sources, $n_port source ports, $n_seq ISNs; TCP payload up to $payload bytes"
assert_gt "$frames" 1000 "frames pktgen sent in a second"
assert_eq "$frames" "$syn_only" "frames that are TCP with only SYN set"
assert_eq "$frames" "$in_prefix" "frames from the spoofed prefix 198.18.128.0/17"
assert_eq "$frames" "$to_target" "frames to 198.18.0.1:80"
assert_eq "$frames" "$good_csum" "frames with good IPv4 and TCP checksums"
assert_gt "$n_src" 1000 "distinct source addresses"
assert_gt "$n_port" 1000 "distinct source ports"
assert_gt "$n_seq" 1000 "distinct ISNs"
# pktgen's smallest frame is 64 bytes with the FCS, and it fills it with
# TCP payload: its SYNs carry 6 bytes of data (and no options). No more.
assert_lt "$payload" 7 "largest TCP payload of a SYN (pktgen fills its 60-byte frame with 6)"

# ---- 2. the flood against tcpterm over memif --------------------------------
SOCK="$TT_WORK/memif.sock"
TT_NETNS=0
TT_EAL="--lcores=0@0,1@1 --no-huge -m 512 --no-pci --no-shconf --vdev=net_memif0,role=server,socket=$SOCK,socket-abstract=no,mac=02:00:00:00:00:01"
start_tcpterm --address 198.18.0.1/24 --gateway 198.18.0.2 --listen 80=http
FLOOD_SECONDS=4
log "pktgen -> memif -> tcpterm for $FLOOD_SECONDS s"
run_pktgen "$FLOOD_SECONDS" "net_memif0,role=client,socket=$SOCK,socket-abstract=no,mac=02:00:00:00:00:02" "$TT_WORK/pktgen-memif.log"
expect_tcpterm_alive
stop_tcpterm

syns=$(tt_counter SynsReceived)
cookies=$(tt_counter SyncookiesSent)
log "tcpterm: RxPackets=$(tt_counter RxPackets) SynsReceived=$syns SyncookiesSent=$cookies TxPackets=$(tt_counter TxPackets) ArpInReplies=$(tt_counter ArpInReplies) ArpHeldDropped=$(tt_counter ArpHeldDropped)"
# syn_flood.pkt asks for 0.1 % of memif's 100 Gb/s, 149 k SYNs/s; a tenth of
# that for the seconds of the flood is the floor on a busy CI machine.
assert_gt "$syns" $((FLOOD_SECONDS * 15000)) "SYNs tcpterm received from pktgen (SynsReceived)"
assert_gt "$cookies" $((syns / 2)) "SYNs answered with cookies (SyncookiesSent)"
assert_gt "$(tt_counter ArpInReplies)" 0 "pktgen answered tcpterm's ARP for its gateway 198.18.0.2"
assert_gt "$(tt_counter TxPackets)" $((cookies / 2)) "SYN-ACKs that left tcpterm (TxPackets)"
assert_eq 0 "$(tt_counter InCsumErrors)" "tcpterm's InCsumErrors"
