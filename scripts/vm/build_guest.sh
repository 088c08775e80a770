#!/usr/bin/env bash
# Builds a small guest for running tcpterm in a QEMU VM on a virtio-net-pci
# port, from the host's own packages only (Debian 12):
#   OUT/kernel        the guest kernel (linux-image-amd64's /boot/vmlinuz-*)
#   OUT/initrd.cpio.gz  busybox-static, tcpterm, the DPDK libraries and PMDs it
#                     loads (bus_pci, net_virtio, mempool_ring and what ldd says
#                     they need), uio + uio_pci_generic from the guest kernel's
#                     /lib/modules, a config and /init
# /init mounts /proc /sys /dev, reserves 2 MB hugepages, loads the modules,
# binds every virtio-net PCI device (1af4:1000 / 1af4:1041) to
# uio_pci_generic and runs tcpterm on the first one with 198.18.0.1/24.
# The kernel command line (scripts/vm/run_guest.sh sets it) chooses:
#   tt.workers=N    tcpterm workers (default 1); N+1 lcores on the vCPUs
#   tt.args="..."   extra tcpterm flags (no spaces inside a flag's value)
# tcpterm's log goes to the serial console ("tcpterm: ready" once it serves);
# a line "stop" typed there stops it with SIGINT (it prints its counters),
# then "TT-EXIT <exit code>" and the guest powers off.
#
# Usage: scripts/vm/build_guest.sh [BUILD [OUT]]
#   BUILD  build dir holding app/tcpterm (default: build); or TCPTERM=binary
#   OUT    output dir (default: BUILD/vm-guest)
#   KVER   guest kernel version (default: the newest /boot/vmlinuz-* with a
#          /lib/modules dir; install linux-image-amd64 to get one)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
TCPTERM=${TCPTERM:-$BUILD/app/tcpterm}
OUT=${2:-$BUILD/vm-guest}
[[ -x "$TCPTERM" ]] || { echo "build_guest: no tcpterm binary at $TCPTERM (build first)" >&2; exit 1; }

BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] && { ldd $BUSYBOX 2>&1 || true; } | grep -q 'not a dynamic executable' ||
  { echo "build_guest: a static busybox is needed: apt-get install busybox-static" >&2; exit 1; }

if [[ -z "${KVER:-}" ]]; then
  for k in $(ls -v /boot/vmlinuz-* 2>/dev/null); do
    v=${k#/boot/vmlinuz-}
    [[ -d /lib/modules/$v/kernel ]] && KVER=$v
  done
fi
[[ -n "${KVER:-}" && -r /boot/vmlinuz-$KVER ]] ||
  { echo "build_guest: no guest kernel: apt-get install linux-image-amd64" >&2; exit 1; }
MODDIR=/lib/modules/$KVER

# DPDK's plugin dir (librte_eal loads every PMD in it at start-up). Only the
# PMDs a virtio-net port needs go into the guest, at the same path, so no -d.
PMDDIR=$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* | tail -n 1)
PMDS=(librte_bus_pci librte_bus_vdev librte_net_virtio librte_mempool_ring)

STAGE=$(mktemp -d /tmp/tt-vm-guest.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{bin,sbin,etc,proc,sys,dev,tmp,run,mnt/huge,lib/modules,var/run,usr/bin}
mkdir -p "$STAGE$PMDDIR"

cp "$BUSYBOX" "$STAGE/bin/busybox"
cp "$TCPTERM" "$STAGE/usr/bin/tcpterm"

# copy FILE and everything ldd says it needs, each at its own path
declare -A copied=()
copy_with_libs() {
  local f lib
  for f in "$@"; do
    for lib in $(ldd "$f" | awk '/=>/ {print $3} /^\s*\/lib/ {print $1}'); do
      [[ -n "${copied[$lib]:-}" ]] && continue
      copied[$lib]=1
      mkdir -p "$STAGE$(dirname "$lib")"
      cp -L "$lib" "$STAGE$lib"
    done
  done
}
copy_with_libs "$TCPTERM"
for p in "${PMDS[@]}"; do
  # As in Debian's own plugin dir, a symlink to the library in the loader's
  # path: a PMD another one links to (bus_pci) must be the same file, or
  # the EAL loads it twice and aborts ("tailq is already registered"). The
  # EAL takes only *.so and *.so.<ABI>.<minor> from its plugin dir.
  so=$PMDDIR/$p.so
  soname=$(objdump -p "$so" | awk '$1 == "SONAME" {print $2}')
  mkdir -p "$STAGE/lib/x86_64-linux-gnu"
  cp -L "$so" "$STAGE/lib/x86_64-linux-gnu/$soname"
  copied[/lib/x86_64-linux-gnu/$soname]=1
  ln -sf "/lib/x86_64-linux-gnu/$soname" "$STAGE$PMDDIR/$p.so"
  copy_with_libs "$so"
done
# the dynamic loader where binaries look for it
mkdir -p "$STAGE/lib64"
cp -L /lib64/ld-linux-x86-64.so.2 "$STAGE/lib64/"

# Kernel modules, uncompressed (busybox insmod reads plain .ko): uio_pci_generic
# and what modules.dep says it needs. virtio_pci/virtio_net stay out, so the
# kernel leaves the NIC unbound for DPDK.
mods=$(grep -E '/uio_pci_generic\.ko' "$MODDIR/modules.dep" | sed 's/://')
: > "$STAGE/etc/modules.order"
for m in $(echo "$mods" | tr ' ' '\n' | tac); do
  dst="$STAGE/lib/modules/$(basename "${m%.xz}")"
  dst=${dst%.zst}
  case "$m" in
    *.xz)  xz -dc "$MODDIR/$m" > "$dst" ;;
    *.zst) zstd -qdc "$MODDIR/$m" > "$dst" ;;
    *)     cp "$MODDIR/$m" "$dst" ;;
  esac
  basename "$dst" >> "$STAGE/etc/modules.order"
done

# tcpterm's config: the repository's, with the EAL line and the pool sized for
# the guest (the init script passes the PCI address and lcores as flags).
sed -e 's/^eal = .*/eal = --file-prefix tcpterm/' -e 's/^mbufs = .*/mbufs = 16383/' \
  "$ROOT/config/tcpterm.conf" > "$STAGE/etc/tcpterm.conf"

cat > "$STAGE/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mkdir -p /dev/hugepages && mount -t hugetlbfs none /dev/hugepages
echo "TT-BOOT uptime $(cut -d' ' -f1 /proc/uptime) s"

workers=1; args=""
for w in $(cat /proc/cmdline); do
  case "$w" in tt.workers=*) workers=${w#tt.workers=} ;; esac
done
args=$(sed -n 's/.*tt\.args="\([^"]*\)".*/\1/p' /proc/cmdline)

for m in $(cat /etc/modules.order); do insmod /lib/modules/$m || echo "TT-ERROR insmod $m"; done

# every virtio-net function (legacy 1af4:1000, modern 1af4:1041) to uio_pci_generic
echo "1af4 1000" > /sys/bus/pci/drivers/uio_pci_generic/new_id
echo "1af4 1041" > /sys/bus/pci/drivers/uio_pci_generic/new_id
nic=""
for d in /sys/bus/pci/devices/*; do
  v=$(cat $d/vendor); id=$(cat $d/device)
  if [ "$v" = 0x1af4 ] && { [ "$id" = 0x1000 ] || [ "$id" = 0x1041 ]; }; then
    a=$(basename $d)
    [ -e $d/driver ] || echo $a > /sys/bus/pci/drivers/uio_pci_generic/bind 2>/dev/null
    echo "TT-NIC $a driver $(basename $(readlink $d/driver))"
    [ -n "$nic" ] || nic=$a
  fi
done
[ -n "$nic" ] || { echo "TT-ERROR no virtio-net PCI device"; poweroff -f; }

ncpu=$(grep -c ^processor /proc/cpuinfo)
# lcores: the main one and one per worker, spread over the vCPUs
lc="0@0"; i=1
while [ $i -le $workers ]; do lc="$lc,$i@$(( i % ncpu ))"; i=$((i+1)); done
echo "TT-START nic=$nic workers=$workers lcores=$lc vcpus=$ncpu hugepages=$(cat /proc/sys/vm/nr_hugepages)"
tcpterm --config /etc/tcpterm.conf \
  --eal "--lcores=$lc -a $nic --socket-mem 384 --file-prefix tcpterm" \
  --workers $workers $args 2>&1 &
pid=$!
# A line "stop" on the serial console stops tcpterm as Ctrl-C would (SIGINT:
# it prints its counters), then the guest powers off.
( while read -r line; do
    [ "$line" = stop ] && { echo "TT-STOP"; kill -INT $pid; break; }
  done ) < /dev/console &
wait $pid; rc=$?
echo "TT-EXIT $rc"
sync
poweroff -f
EOF
chmod +x "$STAGE/init"

mkdir -p "$OUT"
cp "/boot/vmlinuz-$KVER" "$OUT/kernel"
(cd "$STAGE" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initrd.cpio.gz.tmp"
mv "$OUT/initrd.cpio.gz.tmp" "$OUT/initrd.cpio.gz"
echo "build_guest: $OUT/kernel ($KVER) $OUT/initrd.cpio.gz ($(du -h "$OUT/initrd.cpio.gz" | cut -f1))"
