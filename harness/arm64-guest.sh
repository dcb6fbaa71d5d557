#!/usr/bin/env bash
# Build what the arm64 guest runs, under out/arm64: the x86_64 guest's
# kselftests and harness tests (harness/guest-tests.sh) and its initramfs
# (harness/initramfs.sh), cross-built with ARCH=arm64 against the arm64
# build tree's headers, the patched rdma-core cross-built for arm64
# (harness/rdma-core-arm64.sh) and Debian's arm64 packages
# (harness/arm64-sysroot.sh).
set -euo pipefail
. "$(dirname "$0")/env.sh"

export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KBUILD=$CACHE/build-arm64 OUT=$OUT/arm64
[ -f "$KBUILD/.config" ] || die "no arm64 build tree in $KBUILD: run harness/arm64-build.sh --image"
mkdir -p "$OUT"
"$TOP/harness/rdma-core-arm64.sh"
"$TOP/harness/guest-tests.sh"
"$TOP/harness/initramfs.sh"
