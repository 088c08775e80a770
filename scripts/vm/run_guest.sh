#!/usr/bin/env bash
# Boots the guest scripts/vm/build_guest.sh built, with QEMU, on one
# virtio-net-pci device whose backend is a tap inside a network namespace this
# script creates (198.18.0.2/24 on the host side; tcpterm in the guest is
# 198.18.0.1). Runs in the foreground with the guest's serial console on
# stdout and its input on stdin: a line "stop" stops tcpterm (it prints its
# counters) and powers the guest off; Ctrl-C (or SIGTERM) kills QEMU. Either
# way the namespace and the tap are removed.
# From another shell: ip netns exec vm-tt curl http://198.18.0.1/
#
# Usage: scripts/vm/run_guest.sh [GUEST_DIR]   (default: build/vm-guest)
# Environment:
#   VM_NS      namespace (default vm-tt); VM_TAP tap name (default vm-tap0)
#   VM_ACCEL   kvm | tcg | auto (default). auto: KVM when /dev/kvm is usable
#              for a stock guest kernel, else TCG. A kvm_pvm host (/dev/kvm
#              from the PVM module, as on the project's CI machines) runs a
#              stock Debian kernel about 100x slower than native (it needs a
#              PVM guest kernel), so auto takes TCG there; VM_ACCEL=kvm forces.
#   VM_SMP     vCPUs (default VM_WORKERS)
#   VM_QUEUES  virtio-net queue pairs (default 1); >1: mq=on, a multi-queue tap
#   VM_RSS=1   with VM_QUEUES>1: the device offers RSS (virtio-net rss=on,
#              QEMU hashes in software; DPDK's virtio PMD programs key + RETA)
#   VM_WORKERS tcpterm workers in the guest (default VM_QUEUES)
#   VM_MEM     guest RAM in MB (default 1024; 256 hugepages of 2 MB inside)
#   VM_ARGS    extra tcpterm flags, e.g. "--tcp.sack=false" (no spaces in a value)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GUEST=${1:-$ROOT/build/vm-guest}
NS=${VM_NS:-vm-tt}
TAP=${VM_TAP:-vm-tap0}
QUEUES=${VM_QUEUES:-1}
WORKERS=${VM_WORKERS:-$QUEUES}
SMP=${VM_SMP:-$WORKERS}
MEM=${VM_MEM:-1024}
ACCEL=${VM_ACCEL:-auto}

[[ -r "$GUEST/kernel" && -r "$GUEST/initrd.cpio.gz" ]] ||
  { echo "run_guest: no guest in $GUEST (run scripts/vm/build_guest.sh)" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null ||
  { echo "run_guest: apt-get install qemu-system-x86" >&2; exit 1; }

if [[ $ACCEL == auto ]]; then
  if [[ -w /dev/kvm && ! -d /sys/module/kvm_pvm ]]; then ACCEL=kvm; else ACCEL=tcg; fi
fi
if [[ $ACCEL == kvm ]]; then
  accel=(-accel kvm -cpu host)
else
  # DPDK (Debian's build, and tcpterm through libdpdk.pc) needs SSE4.2: Nehalem
  accel=(-accel tcg,thread=multi -cpu Nehalem)
fi

vhost=off
[[ -c /dev/vhost-net ]] && vhost=on
mq=""; tapmq=()
if ((QUEUES > 1)); then
  mq=",mq=on,vectors=$((2 * QUEUES + 2))"
  [[ ${VM_RSS:-0} == 1 ]] && mq+=",rss=on"
  tapmq=(multi_queue)
fi

cleanup() {
  set +e
  ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev "$TAP" mode tap "${tapmq[@]}"
ip -n "$NS" addr add 198.18.0.2/24 dev "$TAP"
ip -n "$NS" link set "$TAP" up

echo "run_guest: accel=$ACCEL vcpus=$SMP queues=$QUEUES workers=$WORKERS vhost=$vhost ns=$NS tap=$TAP" >&2
# QEMU is our child (not exec'd) so the EXIT trap removes the namespace.
# (bash gives a background command /dev/null as stdin unless told otherwise)
exec {IN}<&0
ip netns exec "$NS" qemu-system-x86_64 -nodefaults -no-user-config -machine pc \
  "${accel[@]}" -smp "$SMP" -m "$MEM" \
  -display none -serial stdio -monitor none -no-reboot \
  -kernel "$GUEST/kernel" -initrd "$GUEST/initrd.cpio.gz" \
  -append "console=ttyS0 panic=-1 hugepages=256 tt.workers=$WORKERS tt.args=\"${VM_ARGS:-}\"" \
  -netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=$vhost,queues=$QUEUES" \
  -device "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56$mq" <&"$IN" &
QPID=$!
trap 'kill $QPID 2>/dev/null; wait $QPID; exit 130' INT TERM
wait $QPID
