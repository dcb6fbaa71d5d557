#!/usr/bin/env bash
# The peer of the two-machine tests (harness/twin.sh): a kernel and an
# rdma-core that no one here wrote. Debian 12's stock kernel
# (linux-image-6.1.0-*-amd64 of bookworm's point release, version and
# sha256 pinned, fetched from the signed index as the base is) and its own
# modules, loaded with kmod's modprobe in the peer's initramfs (virtio-net
# for the link, rdma_rxe, ib_uverbs...), and siw, which Debian does not
# build, from that kernel's own Debian source (harness/peer-siw.sh); the
# host's stock rdma-core (Debian 12's libibverbs, librdmacm and providers,
# the host's packages), busybox and iproute2; the peer half of
# tests/guest/dmabuf_peer.c, built against the host's libibverbs-dev;
# harness/peer-init.sh as /init. Writes $CACHE/peer/vmlinuz and
# out/peer.cpio.gz.
set -euo pipefail
. "$(dirname "$0")/env.sh"

PEER_PKG=linux-image-6.1.0-50-amd64
PEER_VERSION=6.1.176-1
PEER_SUITE=bookworm
PEER_SHA256=7b5597492a0a65aee61985a492e6bcc3f2cde830072a0e3b3d8c7e1b90279bd3
KVER=${PEER_PKG#linux-image-}
# What the peer loads; modprobe brings what they need (ib_core, virtio...).
# rxe asks the crypto API for "crc32" (its ICRC), which Debian builds as a
# module that nothing depends on; siw's libcrc32c for "crc32c" likewise.
# siw is not Debian's: harness/peer-siw.sh builds it from the same
# kernel's Debian source, unchanged, and it goes into the tree as extra/.
MODULES="virtio_pci virtio_net crc32_generic rdma_rxe ib_uverbs rdma_ucm siw crc32c_generic"

P=$CACHE/peer
deb=$P/${PEER_PKG}_${PEER_VERSION}_amd64.deb
install_pkgs busybox-static iproute2 kmod cpio libibverbs-dev librdmacm-dev ibverbs-providers
mkdir -p "$P"
if [ ! -f "$deb" ]; then
	step "fetching $PEER_PKG=$PEER_VERSION from $PEER_SUITE"
	private_apt "$P/apt" deb "$PEER_SUITE"
	(cd "$P/apt" && apt-get -qq "${APT_OPTS[@]}" download "$PEER_PKG=$PEER_VERSION")
	mv "$P/apt/$(basename "$deb")" "$deb"
fi
echo "$PEER_SHA256  $deb" | sha256sum -c --quiet - ||
	{ rm -f "$deb"; die "sha256 mismatch for $deb (removed; rerun to fetch again)"; }
"$TOP/harness/peer-siw.sh"
siw_sum=$(sha256sum <"$P/siw/siw.ko" | cut -d' ' -f1)
if [ ! -f "$P/root/.stamp" ] || [ "$(cat "$P/root/.stamp")" != "$PEER_SHA256 $siw_sum" ]; then
	rm -rf "$P/root"
	mkdir -p "$P/root"
	dpkg-deb -x "$deb" "$P/root"
	install -D -m 0644 "$P/siw/siw.ko" "$P/root/lib/modules/$KVER/extra/siw.ko"
	depmod -b "$P/root" "$KVER"
	echo "$PEER_SHA256 $siw_sum" >"$P/root/.stamp"
fi
cp "$P/root/boot/vmlinuz-$KVER" "$P/vmlinuz"

root=$OUT/peer-root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp}
# The modules and what they depend on, with a modules.dep of their own.
modprobe -a -d "$P/root" -S "$KVER" --show-depends $MODULES | awk '$1 == "insmod" { print $2 }' |
	sort -u | while IFS= read -r m; do copy_under "$root" "${m#"$P/root"}" "$P/root"; done
cp "$P/root/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$KVER/"
depmod -b "$root" "$KVER"
kmod=$(command -v kmod)
copy_under "$root" "$kmod"
for t in modprobe insmod lsmod; do ln -s "$kmod" "$root/sbin/$t"; done

# The peer's program: our test's peer half, built against Debian's rdma-core.
mkdir -p "$P/bin"
# The test exporter's uapi header as the series' head has it: make check
# builds this beside its patch-by-patch build, which checks older commits
# of the tree out.
inc=$P/include/drivers/dma-buf
mkdir -p "$inc"
git -C "$LINUX" show "$BRANCH:drivers/dma-buf/dma-buf-test-exporter-uapi.h" \
	>"$inc/dma-buf-test-exporter-uapi.h"
gcc -Wall -O2 -I"$P/include" "$TOP/tests/guest/dmabuf_peer.c" -o "$P/bin/dmabuf_peer" \
	-libverbs -lrdmacm -lpthread || die "tests/guest/dmabuf_peer.c does not build against the host's rdma-core"
bins=(/bin/busybox /usr/bin/ip /usr/bin/rdma /usr/bin/ibv_devinfo "$P/bin/dmabuf_peer")
for b in "${bins[@]}"; do cp -L "$b" "$root/bin/"; done
provs=(/usr/lib/x86_64-linux-gnu/libibverbs/lib{rxe,siw}-rdmav*.so)
for l in "${provs[@]}" /etc/libibverbs.d/{rxe,siw}.driver; do copy_under "$root" "$l"; done
printf '%s\n' "$kmod" "${bins[@]}" "${provs[@]}" | elf_libs |
	while IFS= read -r l; do copy_under "$root" "$l"; done
echo "Debian's rdma-core $(dpkg-query -W -f='${Version}' libibverbs1)" >"$root/etc/rdma-core-version"
cp "$TOP/harness/peer-init.sh" "$root/init"
chmod +x "$root/init"
cpio_pack "$root" "$OUT/peer.cpio.gz"
echo "==> peer: $PEER_PKG $PEER_VERSION, $(find "$root/lib/modules" -name '*.ko*' | wc -l) modules," \
	"initramfs $(du -h "$OUT/peer.cpio.gz" | cut -f1)"
