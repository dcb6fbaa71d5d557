#!/usr/bin/env bash
# Two machines: our kernel (the test kernel, harness.mode=twin) and the
# peer (harness/peer.sh: Debian 12's stock kernel and rdma-core), two QEMU
# guests joined by a virtual Ethernet link (QEMU's socket netdev on host
# loopback, virtio-net in both), an rxe device on each end, and a second
# link of the same kind for a siw device on each end; our guest runs
# tests/guest/dmabuf_peer.c's "ours" half, the peer its "peer" half
# (TWIN_PEER=ours: our kernel and initramfs as the peer too). Both
# have a time limit; their consoles go to out/twin/ours/console.log and
# out/twin/peer/console.log, which results.py --twin judges (the cases,
# the peer's kernel, the health gate of both). TWIN_DEMO=1 (make run) runs
# only the peer's RDMA WRITEs into our dma-buf MR while it moves.
# TWIN_PCAP=1 also keeps the link's packets, as our guest sees them, in
# out/twin/link.pcap; TWIN_PEER_TRACE=1 has the stock peer log its rxe
# completer's states and print the last of them (peer-init.sh), and
# TWIN_TRACE=1 has our guest print its rxe trace events (guest-init.sh).
# TWIN_PEER_SMP sets the peer's vCPUs (1). TWIN_ROUNDS=N runs N rounds of
# the moving cases instead of 3 (a longer run: about 10 s a round; the
# time limit grows with it). TWIN_SPLIT=0 leaves our guest's interrupts
# and unbound work on both vCPUs (guest-init.sh splits them otherwise).
set -euo pipefail
. "$(dirname "$0")/env.sh"

port=${TWIN_PORT:-$((20000 + RANDOM % 20000))}
tw=$OUT/twin
rm -rf "$tw"
mkdir -p "$tw/ours" "$tw/peer"
[ -f "$OUT/peer.cpio.gz" ] || die "no out/peer.cpio.gz: run harness/peer.sh"
# nic listen|connect MAC1 MAC2: the two links' NICs (eth0 for rxe, eth1
# for siw), sockets on $port and $port + 1.
nic() {
	printf -- "-netdev socket,id=n0,%s=127.0.0.1:%d -device virtio-net-pci,netdev=n0,mac=%s " \
		"$1" "$port" "$2"
	printf -- "-netdev socket,id=n1,%s=127.0.0.1:%d -device virtio-net-pci,netdev=n1,mac=%s" \
		"$1" $((port + 1)) "$3"
}

if [ "${TWIN_PEER:-debian}" = ours ]; then
	what="our kernel as the peer too"
else
	what="Debian's $(ls "$CACHE"/peer/*.deb | sed 's/.*linux-image-//; s/_amd64.deb//') as the peer"
fi
rounds=${TWIN_ROUNDS:-3}
case $rounds in '' | *[!0-9]* | 0) die "TWIN_ROUNDS=$rounds: a number of rounds, 1 or more" ;; esac
timeout=${TWIN_TIMEOUT:-$((900 + 30 * (rounds > 3 ? rounds - 3 : 0)))}
step "two machines: our kernel and $what, on a link (port $port)"
# Ours listens; the peer connects once ours is up (QEMU opens the socket
# before the guest boots).
initrd=$OUT/initramfs.cpio.gz
[ -f "$initrd" ] || die "no $initrd: run harness/guest-tests.sh and harness/initramfs.sh"
# pci=noacpi: the NIC's interrupt routed without ACPI's _PRT method, whose
# AML took our KASAN kernel 26 s under TCG beside the booting peer (an RCU
# stall at boot; with it, our init starts in half the time, no stall).
dump=
[ -z "${TWIN_PCAP:-}" ] || dump=" -object filter-dump,id=d0,netdev=n0,file=$tw/link.pcap"
INITRD=$initrd OUT=$tw/ours NIC="$(nic listen 52:54:00:00:09:01 52:54:00:00:0a:01)$dump" \
	BOOT_APPEND="pci=noacpi ${TWIN_DEMO:+harness.twin=demo }${TWIN_TRACE:+harness.twin_trace=1 }${TWIN_ROUNDS:+harness.twin_rounds=$TWIN_ROUNDS }${TWIN_SPLIT:+harness.twin_split=$TWIN_SPLIT }${BOOT_APPEND:-}" GUEST_TIMEOUT=$timeout \
	"$TOP/harness/boot.sh" twin >"$tw/ours/boot.log" 2>&1 &
ours=$!
i=0
until ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
set +e
if [ "${TWIN_PEER:-debian}" = ours ]; then
	# Our kernel on both sides (its init's "peer" mode), with pci=noacpi
	# as ours (a stall at the peer's boot without it, session 16).
	peer=(INITRD=$initrd "BOOT_APPEND=pci=noacpi ${BOOT_APPEND:-}")
else
	peer=(INITRD=$OUT/peer.cpio.gz KERNEL=$CACHE/peer/vmlinuz
		"BOOT_APPEND=${TWIN_PEER_TRACE:+harness.peer_trace=1 log_buf_len=16M}")
fi
env "${peer[@]}" OUT="$tw/peer" SMP=${TWIN_PEER_SMP:-1} NIC="$(nic connect 52:54:00:00:09:02 52:54:00:00:0a:02)" \
	GUEST_TIMEOUT="$timeout" "$TOP/harness/boot.sh" peer 2>&1 | sed 's/^/    peer /'
prc=${PIPESTATUS[0]}
wait $ours
orc=$?
set -e
sed 's/^/    ours /' "$tw/ours/boot.log"
[ "$orc" -eq 0 ] && [ "$prc" -eq 0 ] || die "a guest failed (ours: exit $orc, peer: exit $prc)"
