#!/usr/bin/env bash
# The rxe requester against a scripted responder: our test kernel
# (harness.mode=wire) with one virtio-net link, QEMU's socket netdev on a
# socket pair whose other end is harness/wire_peer.py, which starts the
# guest. The guest runs tests/guest/resend_peer.c (WIRE_ROUNDS rounds, 20);
# the script decides
# when each ACK comes and checks every resent packet. Its lines go to
# out/wire/peer.log, the guest's console to out/wire/console.log; results.py
# --wire judges them (also in make check).
set -euo pipefail
. "$(dirname "$0")/env.sh"

w=$OUT/wire
rm -rf "$w"
mkdir -p "$w"
initrd=$OUT/initramfs.cpio.gz
[ -f "$initrd" ] || die "no $initrd: run harness/guest-tests.sh and harness/initramfs.sh"
step "the rxe requester against a scripted responder (out/wire/)"
# wire_peer.py starts the guest with QEMU's end of the link as $WIRE_FD.
set +e
INITRD=$initrd OUT=$w GUEST_TIMEOUT=${WIRE_TIMEOUT:-600} \
	BOOT_APPEND="pci=noacpi harness.wire_rounds=${WIRE_ROUNDS:-20} ${BOOT_APPEND:-}" \
	python3 "$TOP/harness/wire_peer.py" "${WIRE_ROUNDS:-20}" "$w/peer.log" bash -c \
	'NIC="-netdev socket,id=n0,fd=$WIRE_FD -device virtio-net-pci,netdev=n0,mac=52:54:00:00:0b:01" exec "$0" wire' \
	"$TOP/harness/boot.sh" 2>&1 | sed -u 's/^/    /'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || die "the guest failed (exit $rc)"
