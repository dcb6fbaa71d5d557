#!/usr/bin/env bash
# Build rdma-core with the patches in rdma-core/ (dma-buf MRs for the rxe
# and siw providers) and install it, for prefix $RC_PREFIX, under
# $CACHE/rdma-core/dest, for the
# guest's initramfs. The source is Debian's rdma-core .orig tarball from
# the trixie suite (pinned version and sha256), fetched through a private
# apt configuration that names the same mirror as the system's sources.
# Quiet and quick when the prefix is up to date: a stamp holds the sha256
# of the tarball, the patches and this script.
set -euo pipefail
. "$(dirname "$0")/env.sh"

RC_PKG=rdma-core
RC_VERSION=56.1
RC_DEB_VERSION=56.1-1
RC_SUITE=trixie
RC_SHA256=63ce7f2baa7242c2dbc76375dac957c420187dd27f8c5e148efc07971ee522a8

RC=$CACHE/rdma-core
tarball=$RC/${RC_PKG}_$RC_VERSION.orig.tar.gz
src=$RC/src
build=$RC/build
dest=$RC/dest
prefix=$dest$RC_PREFIX
stamp=$dest/.stamp
log=$RC/build.log
patches=("$TOP"/rdma-core/*.patch)
[ -f "${patches[0]}" ] || die "no patches in $TOP/rdma-core"

# What the build needs from Debian (bookworm).
install_pkgs cmake ninja-build pkg-config gcc libc6-dev python3 git \
	libnl-3-dev libnl-route-3-dev libudev-dev
mkdir -p "$RC"
debian_orig "$tarball" "$RC_PKG=$RC_DEB_VERSION" "$RC_SUITE" "$RC_SHA256"

key=$(cat <(echo "$RC_SHA256") "${patches[@]}" "$0" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
	exit 0
fi

step "unpacking $RC_PKG $RC_VERSION and applying ${#patches[@]} patches"
rm -rf "$build" "$dest"
git_am_tree "$src" "$tarball" "$log" "${patches[@]}"

step "building $RC_PKG $RC_VERSION into $prefix (about a minute)"
rdma_core_build "$src" "$build" "$dest" "$log"
rdma_core_check "$prefix" "$build"

echo "$key" >"$stamp"
