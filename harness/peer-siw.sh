#!/usr/bin/env bash
# siw for the peer of the two-machine tests (harness/peer.sh). Debian
# builds no siw (CONFIG_RDMA_SIW is not set in Debian 11's, 12's or 13's
# kernel configurations), so the peer's siw is that driver's source from
# the peer kernel's own Debian source package (linux-source-6.1, the same
# version as the peer's linux-image, unchanged), built out of tree
# against that kernel's own headers package, with the compiler Debian
# built it with (gcc-12). Versions and sha256 pinned, fetched through the
# signed index. Loading it taints the peer's kernel with O (an out-of-tree
# module) and E (unsigned) and nothing else; results.py allows exactly
# those. Writes $CACHE/peer/siw/siw.ko.
set -euo pipefail
. "$(dirname "$0")/env.sh"

SUITE=bookworm
VERSION=6.1.176-1
KVER=6.1.0-50-amd64
# package sha256
DEBS="
linux-source-6.1 9305d1a151b8e83dcb88aa11361e7b9513f0c252bdf7f5647e4542762d99c094
linux-headers-$KVER 91a7929ce639f4199e9ff7f929236cdfdcb5511dba613af5094369e95ca241da
linux-headers-${KVER%-amd64}-common 7f6f7bee50efbc36dc02c976be5982b96cf36abe544f03f09368e98cfcc5ac3b
linux-kbuild-6.1 667d2e1e94047031c3bcefa4bb67c2520bbc3cc1cce0aa592e67b108dbbead03
"

S=$CACHE/peer/siw
key=$(echo "$DEBS" "$VERSION" | cat - "$0" | sha256sum | cut -d' ' -f1)
[ "$(cat "$S/.stamp" 2>/dev/null)" != "$key" ] || exit 0
install_pkgs gcc-12 make libelf1 libssl3 xz-utils
mkdir -p "$S/debs"
have_apt=
while read -r pkg sum; do
	[ -n "$pkg" ] || continue
	deb=$S/debs/${pkg}_$VERSION.deb
	if [ ! -f "$deb" ] || ! echo "$sum  $deb" | sha256sum -c --quiet - 2>/dev/null; then
		if [ -z "$have_apt" ]; then
			private_apt "$S/apt" deb "$SUITE"
			have_apt=1
		fi
		step "fetching $pkg=$VERSION from $SUITE"
		(cd "$S/apt" && apt-get -qq "${APT_OPTS[@]}" download "$pkg=$VERSION")
		mv "$S/apt/${pkg}_${VERSION}"_*.deb "$deb"
	fi
	echo "$sum  $deb" | sha256sum -c --quiet - ||
		{ rm -f "$deb"; die "sha256 mismatch for $deb (removed; rerun to fetch again)"; }
done <<<"$DEBS"

step "building siw of linux-source-6.1 $VERSION out of tree for $KVER (log: $S/build.log)"
rm -rf "$S/root" "$S/src" "$S/siw.ko"
mkdir -p "$S/root" "$S/src"
for d in "$S"/debs/linux-headers-*.deb "$S"/debs/linux-kbuild-*.deb; do
	dpkg-deb -x "$d" "$S/root"
done
# Only the driver's directory, out of the source tarball in the package.
dpkg-deb --fsys-tarfile "$S/debs/linux-source-6.1_$VERSION.deb" |
	tar -xO ./usr/src/linux-source-6.1.tar.xz |
	tar -xJ -C "$S/src" --strip-components=5 linux-source-6.1/drivers/infiniband/sw/siw
[ -f "$S/src/siw_main.c" ] || die "no siw_main.c in linux-source-6.1's tarball"
# The headers package's Makefile includes the common package's by its
# absolute path under /usr/src: point it into the private root.
hdr=$S/root/usr/src/linux-headers-$KVER
echo "include $S/root/usr/src/linux-headers-${KVER%-amd64}-common/Makefile" >"$hdr/Makefile"
if ! make -C "$hdr" M="$S/src" CONFIG_RDMA_SIW=m -j"$JOBS" modules >"$S/build.log" 2>&1; then
	tail -n 20 "$S/build.log" >&2
	die "siw does not build against linux-headers-$KVER"
fi
cp "$S/src/siw.ko" "$S/siw.ko"
echo "==> siw.ko for $KVER: $(modinfo -F vermagic "$S/siw.ko")"
echo "$key" >"$S/.stamp"
