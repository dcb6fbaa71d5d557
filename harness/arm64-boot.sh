#!/usr/bin/env bash
# Boot the arm64 Image that harness/arm64-build.sh --image made in QEMU's
# "virt" machine (qemu-system-aarch64, TCG, 2 vCPUs, 1 GiB), with an
# initramfs whose only program powers the machine off: the built-in KUnit
# suites run at boot, and results.py --kunit-boot judges them against
# config/expected and the console against the health gate. No userland yet:
# the rdma and dma-buf selftests do not run on arm64.
set -euo pipefail
. "$(dirname "$0")/env.sh"

KBUILD=$CACHE/build-arm64
image=$KBUILD/arch/arm64/boot/Image
console=$OUT/console-arm64.log
[ -f "$image" ] || die "no arm64 Image in $KBUILD: run harness/arm64-build.sh --image"
install_pkgs qemu-system-arm

root=$OUT/arm64-initramfs
rm -rf "$root"
mkdir -p "$root"
aarch64-linux-gnu-gcc -Os -static -nostdlib -ffreestanding -o "$root/init" \
	"$TOP/harness/arm64-init.c"
(cd "$root" && echo init | cpio -o -H newc --quiet | gzip -1) >"$OUT/initramfs-arm64.cpio.gz"

step "arm64: booting the Image (virt, tcg, limit 600 s, console: ${console#"$TOP"/})"
set +e
timeout --foreground 600 qemu-system-aarch64 -M virt -cpu cortex-a57 -smp 2 -m 1G \
	-display none -monitor none -nic none -no-reboot \
	-kernel "$image" -initrd "$OUT/initramfs-arm64.cpio.gz" \
	-append "console=ttyAMA0 panic=-1 kasan_multi_shot" \
	-serial stdio </dev/null 2>"$OUT/qemu-arm64.log" | sed -u 's/\r//g' >"$console"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || { cat "$OUT/qemu-arm64.log" >&2; die "QEMU exited with status $rc"; }
python3 "$TOP/harness/results.py" --kunit-boot "$console" "$LINUX"
