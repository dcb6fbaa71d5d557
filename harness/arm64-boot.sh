#!/usr/bin/env bash
# Boot the arm64 Image that harness/arm64-build.sh --image made in QEMU's
# "virt" machine (qemu-system-aarch64, TCG, 2 vCPUs, 1 GiB) with the arm64
# guest's initramfs (harness/arm64-guest.sh), through harness/boot.sh as the
# x86_64 guest of make check, without rdma-core's own tests: the built-in
# KUnit suites, then the init (harness/guest-init.sh) runs the kselftests
# on rxe0 and siw0. The one PL011 is the console (out/arm64/console.log);
# the kselftests' TAP leaves through a virtio console, hvc0
# (out/arm64/tap.log). The whole boot has a time limit (GUEST_TIMEOUT,
# default 2400 s as for x86_64). results.py --arm64 judges the guest as it
# does make check's: config/expected's KUnit suites, kselftests, requires
# and health.
set -euo pipefail
. "$(dirname "$0")/env.sh"

image=$CACHE/build-arm64/arch/arm64/boot/Image
[ -f "$image" ] || die "no arm64 Image: run harness/arm64-build.sh --image"
[ -f "$OUT/arm64/initramfs.cpio.gz" ] || die "no out/arm64/initramfs.cpio.gz: run harness/arm64-guest.sh"
install_pkgs qemu-system-arm
ARCH=arm64 KERNEL=$image OUT=$OUT/arm64 PYVERBS_RUNS=0 "$TOP/harness/boot.sh" check
python3 "$TOP/harness/results.py" --arm64 "$OUT/arm64" "$LINUX"
