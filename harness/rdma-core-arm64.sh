#!/usr/bin/env bash
# Cross-build for arm64 the patched rdma-core that harness/rdma-core.sh
# fetches, patches and builds for x86_64: the same source tree, configured
# as there (prefix $RC_PREFIX, no pyverbs, no man pages, -Werror) with
# Debian's aarch64-linux-gnu-gcc against the arm64 libnl of
# harness/arm64-sysroot.sh (no udev, no systemd: not in the sysroot), and
# installed under $CACHE/rdma-core/dest-arm64 for the arm64 guest. Quiet and
# quick when up to date: a stamp holds the sha256 of the x86_64 build's
# stamp (the tarball and the patches), the sysroot's and this script.
set -euo pipefail
. "$(dirname "$0")/env.sh"

RC=$CACHE/rdma-core
SYSROOT=$CACHE/arm64-sysroot
src=$RC/src
build=$RC/build-arm64
dest=$RC/dest-arm64
prefix=$dest$RC_PREFIX
stamp=$dest/.stamp
log=$RC/build-arm64.log

install_pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
"$TOP/harness/rdma-core.sh"
"$TOP/harness/arm64-sysroot.sh"
patches=("$TOP"/rdma-core/*.patch)
[ "$(git -C "$src" rev-list --count base..HEAD 2>/dev/null)" = ${#patches[@]} ] ||
	die "$src is not rdma-core with the ${#patches[@]} patches: remove $RC/dest/.stamp and rerun"
key=$(cat "$RC/dest/.stamp" "$SYSROOT/.stamp" "$0" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
	exit 0
fi

step "cross-building rdma-core for arm64 into $prefix (about two minutes)"
rm -rf "$build" "$dest"
libdir=$SYSROOT/usr/lib/aarch64-linux-gnu
export PKG_CONFIG_LIBDIR=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$SYSROOT
# The one warning the cross compiler adds to x86_64's none: libibumad's
# debug print in resolve_ca_name() passes a NULL %s when no port was found
# (glibc prints "(null)"); libibumad is not in the guest.
rdma_core_build "$src" "$build" "$dest" "$log" \
	-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
	-DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc -DCMAKE_C_FLAGS=-Wno-format-overflow \
	-DCMAKE_FIND_ROOT_PATH="$SYSROOT;/usr/aarch64-linux-gnu" \
	-DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY \
	-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY \
	-DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$libdir" \
	-DCMAKE_SHARED_LINKER_FLAGS="-Wl,-rpath-link,$libdir"
rdma_core_check "$prefix" "$build" aarch64-linux-gnu-nm
file -L "$prefix/lib/libibverbs.so.1" | grep -q 'ARM aarch64' ||
	die "$prefix/lib/libibverbs.so.1 is not an arm64 library"

echo "$key" >"$stamp"
