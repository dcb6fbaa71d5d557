#!/usr/bin/env bash
# Boot the arm64 Image that harness/arm64-build.sh --image made in QEMU's
# "virt" machine (qemu-system-aarch64, TCG, 2 vCPUs, 1 GiB) with the arm64
# guest's initramfs (harness/arm64-guest.sh), as harness/boot.sh boots the
# x86_64 guest for make check, without rdma-core's own tests: the built-in
# KUnit suites, then the init (harness/guest-init.sh) runs the kselftests
# on rxe0 and siw0. The one PL011 is the console (out/arm64/console.log);
# the kselftests' TAP leaves through a virtio console, hvc0
# (out/arm64/tap.log). The whole boot has a time limit (GUEST_TIMEOUT,
# default 2400 s as for x86_64). results.py --arm64 judges the guest as it
# does make check's: config/expected's KUnit suites, kselftests, requires
# and health.
set -euo pipefail
. "$(dirname "$0")/env.sh"

KBUILD=$CACHE/build-arm64
OUT=$OUT/arm64
image=$KBUILD/arch/arm64/boot/Image
[ -f "$image" ] || die "no arm64 Image in $KBUILD: run harness/arm64-build.sh --image"
[ -f "$OUT/initramfs.cpio.gz" ] || die "no out/arm64/initramfs.cpio.gz: run harness/arm64-guest.sh"
install_pkgs qemu-system-arm
rm -f "$OUT/console.log" "$OUT/tap.log"
limit=${GUEST_TIMEOUT:-2400}

step "arm64: booting the guest (virt, tcg, limit $limit s, console: ${OUT#"$TOP"/}/console.log)"
start=$(date +%s)
set +e
timeout --foreground "$limit" qemu-system-aarch64 -M virt -cpu cortex-a57 -smp 2 -m 1G \
	-display none -monitor none -nic none -no-reboot \
	-kernel "$image" -initrd "$OUT/initramfs.cpio.gz" \
	-append "console=ttyAMA0 oops=panic panic=-1 kasan_multi_shot harness.mode=check harness.tap=/dev/hvc0 ${BOOT_APPEND:-}" \
	-serial stdio -device virtio-serial-device \
	-chardev "file,id=tap,path=$OUT/tap.log" -device virtconsole,chardev=tap \
	</dev/null 2>"$OUT/qemu.log" | sed -u 's/\r//g' | tee "$OUT/console.log" |
	grep --line-buffered -E 'harness: |kselftest: |^\[ *[0-9.]+\] (not )?ok [0-9]+ - '
rc=${PIPESTATUS[0]}
set -e
echo "    guest ran $(($(date +%s) - start)) s"
tr -d '\r' <"$OUT/tap.log" >"$OUT/tap.log.tmp" 2>/dev/null && mv "$OUT/tap.log.tmp" "$OUT/tap.log"
case $rc in
0) ;;
124) die "the arm64 guest did not finish within $limit s" ;;
*) cat "$OUT/qemu.log" >&2; die "QEMU exited with status $rc" ;;
esac
python3 "$TOP/harness/results.py" --arm64 "$OUT" "$LINUX"
