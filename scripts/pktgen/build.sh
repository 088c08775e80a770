#!/usr/bin/env bash
# Builds Pktgen-DPDK 23.03.0 against the system's DPDK 22.11 (Debian 12) and
# prints the path of the pktgen binary. pktgen is not packaged in Debian 12;
# get its source from https://github.com/pktgen/Pktgen-DPDK (tag
# pktgen-23.03.0, BSD-3-Clause), as a release tarball or a checkout.
#
#   scripts/pktgen/build.sh SRC [OUT_DIR]
#   PKTGEN_SRC=SRC scripts/pktgen/build.sh
#
# SRC: the source tree, its .tar.gz, or a directory holding exactly one
# Pktgen-DPDK-*.tar.gz. OUT_DIR (default: build-pktgen in the repo) gets a
# patched copy of the source and the build; SRC itself is never written.
# A second call with the same source only checks the binary (cached).
#
# Four changes to upstream, all needed for the routes in README.md here:
#  1. lib/lua/meson.build lacks the libdpdk dependency (its sources include
#     rte_*.h): added, or the Lua build fails.
#  2. pktgen stops at start-up when the port cannot set its MTU ("Cannot set
#     MTU 1500 on port 0, (95) Operation not supported"); net_memif,
#     net_vhost and net_ring have no MTU call. ENOTSUP is now a log line.
#  3. Every mbuf is 10 KB (room for jumbo frames) and each port gets five
#     pools of 24576 of them: 1.3 GB per port, so `--no-huge -m 512` cannot
#     create them. The mbufs are made DPDK's default 2 KB + headroom (pktgen's
#     -j jumbo frames are then unavailable, which a SYN flood does not need):
#     about 300 MB, and pktgen runs with --no-huge -m 512. The number of mbufs
#     stays as it is: in range mode pktgen builds each mbuf of its range pool
#     once and then sends the pool round and round, so the pool size (24576)
#     is the number of distinct SYNs a range flood has.
#  4. Two threads besides the sending lcore spin on rte_pause(): the display
#     and statistics timer thread and the command-line loop. On a 2-core
#     machine, where the target needs the other core, they starve the
#     sending lcore and anything sharing its core (tcpgen in
#     bench/pktgen_flood.sh). Both now sleep 1 ms per turn (the statistics
#     run once a second, the display a few times a second).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRC=${1:-${PKTGEN_SRC:-}}
OUT=${2:-$ROOT/build-pktgen}
[[ -n "$SRC" ]] || { echo "usage: $0 SRC [OUT_DIR]  (or PKTGEN_SRC=SRC)" >&2; exit 2; }
[[ -e "$SRC" ]] || { echo "pktgen source not found: $SRC" >&2; exit 2; }
SRC=$(cd "$(dirname "$SRC")" && pwd)/$(basename "$SRC")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# Which source: a directory with the tarball in it counts as the tarball.
if [[ -d "$SRC" && ! -f "$SRC/meson.build" ]]; then
  mapfile -t tars < <(ls "$SRC"/Pktgen-DPDK-*.tar.gz 2>/dev/null)
  ((${#tars[@]} == 1)) || { echo "no single Pktgen-DPDK-*.tar.gz and no meson.build in $SRC" >&2; exit 2; }
  SRC=${tars[0]}
fi
# A stamp of the source and of this script: rebuild only when either changes.
# (Contents only, so that the path a caller uses does not matter.)
if [[ -f "$SRC" ]]; then
  stamp=$(cat "$SRC" "$0" | sha256sum | cut -c1-16)
else
  stamp=$( (cd "$SRC" && find . -type f ! -path './.git/*' -print0 | sort -z | xargs -0 cat; cat "$0") | sha256sum | cut -c1-16)
fi
BIN="$OUT/build/app/pktgen"
if [[ -x "$BIN" && "$(cat "$OUT/stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "$BIN"
  exit 0
fi

# Build dependencies (Debian packages).
need=()
for p in libdpdk-dev meson ninja-build pkg-config liblua5.3-dev libpcap-dev libnuma-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ((${#need[@]})); then
  echo "installing ${need[*]}" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

# A fresh patched copy of the source.
rm -rf "$OUT/src" "$OUT/build" "$OUT/stamp"
mkdir -p "$OUT/src"
if [[ -f "$SRC" ]]; then
  tar -xzf "$SRC" -C "$OUT/src" --strip-components=1
else
  cp -a "$SRC/." "$OUT/src/"
fi
grep -q '^23\.03\.0' "$OUT/src/VERSION" 2>/dev/null ||
  echo "warning: not Pktgen-DPDK 23.03.0 ($(cat "$OUT/src/VERSION" 2>/dev/null)); the patches below may not apply" >&2

patch_file() {  # patch_file FILE PYTHON-OLD PYTHON-NEW: one exact replacement, or fail
  /usr/bin/python3 - "$@" <<'EOF'
import sys
path, old, new = sys.argv[1:4]
s = open(path).read()
if s.count(old) != 1:
    sys.exit("patch failed: %s: expected one occurrence of %r" % (path, old))
open(path, "w").write(s.replace(old, new))
EOF
}
# 1. the Lua library needs libdpdk's headers
patch_file "$OUT/src/lib/lua/meson.build" \
  'dependencies: [common, utils, vec, lua_dep])' \
  'dependencies: [common, utils, vec, lua_dep, dpdk])'
# 2. a port without an MTU call (memif, vhost, ring) is not fatal
patch_file "$OUT/src/app/pktgen-port-cfg.c" \
  'if ((ret = rte_eth_dev_set_mtu(pid, pktgen.eth_mtu)) < 0)' \
  'if ((ret = rte_eth_dev_set_mtu(pid, pktgen.eth_mtu)) == -ENOTSUP)
            pktgen_log_info("Port %u cannot set its MTU (not supported), left as it is", pid);
        else if (ret < 0)'
# 3. mbuf pools that fit --no-huge -m 512
patch_file "$OUT/src/app/pktgen-constants.h" \
  '#define DEFAULT_MBUF_SIZE  (10 * 1024)' \
  '#define DEFAULT_MBUF_SIZE  RTE_MBUF_DEFAULT_BUF_SIZE /* tcpterm scripts/pktgen/build.sh: was 10 KB */'

# 4. no spinning besides the lcores that send and receive
patch_file "$OUT/src/app/pktgen.c" 'rte_pause();' 'rte_delay_us_sleep(1000); /* tcpterm scripts/pktgen/build.sh: was rte_pause() */'
patch_file "$OUT/src/lib/cli/cli.c" 'rte_pause();' 'rte_delay_us_sleep(1000); /* tcpterm scripts/pktgen/build.sh: was rte_pause() */'

echo "building pktgen in $OUT/build (a few minutes at -j1)" >&2
meson setup "$OUT/build" "$OUT/src" -Denable_lua=true >"$OUT/meson.log" 2>&1 ||
  { tail -n 30 "$OUT/meson.log" >&2; exit 1; }
ninja -C "$OUT/build" -j "${PKTGEN_JOBS:-1}" >"$OUT/ninja.log" 2>&1 ||
  { tail -n 30 "$OUT/ninja.log" >&2; exit 1; }
[[ -x "$BIN" ]] || { echo "no binary at $BIN after the build" >&2; exit 1; }
echo "$stamp" >"$OUT/stamp"
echo "$BIN"
