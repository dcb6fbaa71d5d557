#!/usr/bin/env bash
# The modules guest: the kernel as Debian 11 and 5.10's defaults configure
# it where the series is concerned. config/*.config, then
# config/modules/modules.config: CONFIG_DMABUF_MOVE_NOTIFY off (the dma-buf
# core pins a dynamic exporter's buffer while it is mapped, so no move
# happens), and the RDMA core, rxe, siw and the test exporter as modules. Built
# with ccache in a build tree of its own ($CACHE/build-modules), modules
# installed into an initramfs made of the main guest's (harness/initramfs.sh,
# the same kselftests) plus /lib/modules and kmod's modprobe, and booted
# with harness.mode=modules: the init loads the modules, runs the kselftests
# and unloads every module. The guest's console and TAP go to out/modules/;
# results.py judges them against config/expected's "guest modules" entries.
# Host rows ("modules guest: ...") for the configuration and the build.
set -euo pipefail
. "$(dirname "$0")/env.sh"

export KBUILD=$CACHE/build-modules
mout=$OUT/modules
row() { record "$1" "modules guest: $2" "${3:-}"; }
[ -f "$OUT/initramfs.cpio.gz" ] || die "no out/initramfs.cpio.gz: run harness/initramfs.sh"
rm -rf "$mout"
mkdir -p "$mout"

frags="$(echo "$TOP"/config/*.config) $TOP/config/modules/modules.config"
if ! FRAGS=$frags "$TOP/harness/config.sh"; then
	row fail "configuration" "see the output above"
	exit 1
fi
row pass "configuration" "config/*.config + modules/modules.config: every requested symbol landed"
if ! OUT=$mout "$TOP/harness/build.sh" modules; then
	row fail "bzImage and modules build" "see out/modules/build.log"
	exit 1
fi
row pass "bzImage and modules build" "$(grep -c 'warning:' "$mout/build.log" || true) compiler warnings"

step "modules guest: installing the modules into its initramfs"
root=$mout/initramfs
mkdir -p "$root/sbin"
make -s -C "$LINUX" O="$KBUILD" INSTALL_MOD_PATH="$root" INSTALL_MOD_STRIP=1 \
	modules_install >"$mout/modules_install.log" 2>&1 ||
	{ row fail "modules_install" "see out/modules/modules_install.log"; exit 1; }
kmod=$(command -v kmod) || die "no kmod on the host"
copy_under "$root" "$kmod"
for t in modprobe rmmod lsmod insmod depmod; do ln -s "$kmod" "$root/sbin/$t"; done
echo "$kmod" | elf_libs | while IFS= read -r l; do copy_under "$root" "$l"; done
cpio_pack "$root" "$mout/modules.cpio.gz"
cat "$OUT/initramfs.cpio.gz" "$mout/modules.cpio.gz" >"$mout/initramfs.cpio.gz"
echo "==> modules guest initramfs: $(du -h "$mout/initramfs.cpio.gz" | cut -f1)," \
	"$(find "$root/lib/modules" -name '*.ko' | wc -l) modules"

KERNEL=$KBUILD/arch/x86/boot/bzImage INITRD=$mout/initramfs.cpio.gz OUT=$mout \
	"$TOP/harness/boot.sh" modules
