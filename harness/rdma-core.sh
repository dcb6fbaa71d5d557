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

# The .dsc is not fetchable, so take the .orig tarball's URL and sha256
# from the (signed) Sources index and fetch it with apt's own downloader.
download() {
	local line url sum
	step "fetching $RC_PKG $RC_VERSION source from $RC_SUITE"
	private_apt "$RC/apt" deb-src "$RC_SUITE"
	line=$(apt-get -qq "${APT_OPTS[@]}" source --print-uris "$RC_PKG=$RC_DEB_VERSION" \
		2>/dev/null | grep "_$RC_VERSION.orig.tar") || line=
	[ -n "$line" ] || die "$RC_PKG=$RC_DEB_VERSION is not in the $RC_SUITE Sources index"
	url=$(echo "$line" | awk '{ print $1 }' | tr -d "'")
	sum=$(echo "$line" | awk '{ print $4 }')
	[ "$sum" = "SHA256:$RC_SHA256" ] ||
		die "the $RC_SUITE index lists $sum for the tarball, not the pinned $RC_SHA256"
	/usr/lib/apt/apt-helper -qq "${APT_OPTS[@]}" download-file "$url" "$tarball.part" \
		"SHA256:$RC_SHA256" >/dev/null || die "could not fetch $url"
	mv "$tarball.part" "$tarball"
}

# What the build needs from Debian (bookworm).
install_pkgs cmake ninja-build pkg-config gcc libc6-dev python3 git \
	libnl-3-dev libnl-route-3-dev libudev-dev
mkdir -p "$RC"
[ -f "$tarball" ] || download
echo "$RC_SHA256  $tarball" | sha256sum -c --quiet - ||
	{ rm -f "$tarball"; die "sha256 mismatch for $tarball (removed; rerun to fetch again)"; }

key=$(cat <(echo "$RC_SHA256") "${patches[@]}" "$0" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
	exit 0
fi

step "unpacking $RC_PKG $RC_VERSION and applying ${#patches[@]} patches"
rm -rf "$src" "$build" "$dest"
mkdir -p "$src"
tar -xzf "$tarball" -C "$src" --strip-components=1
git -C "$src" init -q -b dmabuf
git -C "$src" add -A -f .
gitid=(-c user.name="RDMA dma-buf harness" -c user.email=harness@localhost)
git -C "$src" "${gitid[@]}" commit -q -m "rdma-core $RC_VERSION (Debian ${RC_PKG}_$RC_VERSION.orig.tar.gz)"
git -C "$src" tag base
for p in "${patches[@]}"; do
	if ! git -C "$src" "${gitid[@]}" am -q "$p" >"$log" 2>&1; then
		cat "$log" >&2
		git -C "$src" am --abort >/dev/null 2>&1 || true
		die "patch $(basename "$p") does not apply to $RC_PKG $RC_VERSION"
	fi
done

step "building $RC_PKG $RC_VERSION into $prefix (about a minute)"
mkdir -p "$build"
if ! { cmake -S "$src" -B "$build" -GNinja -DNO_PYVERBS=1 -DNO_MAN_PAGES=1 \
	-DENABLE_WERROR=1 -DCMAKE_INSTALL_PREFIX="$RC_PREFIX" &&
	ninja -C "$build" -j "$JOBS" && DESTDIR="$dest" ninja -C "$build" install; } >"$log" 2>&1; then
	{ grep -v '^\[[0-9]*/[0-9]*\] ' "$log" || true; } | tail -n 40 >&2
	die "$RC_PKG build failed (full log: $log)"
fi
if grep -Ei 'warning[:]|CMake Warning' "$log" >&2; then
	die "$RC_PKG build has warnings (full log: $log)"
fi

# The providers must carry the new op, and this libibverbs must read its
# driver files from the prefix.
for p in rxe siw; do
	grep -q " ${p}_reg_dmabuf_mr$" < <(nm "$prefix/lib/libibverbs/lib$p-rdmav"*.so) ||
		die "lib$p has no ${p}_reg_dmabuf_mr: were the patches applied?"
done
grep -q "\"$RC_PREFIX/etc/libibverbs.d\"" "$build/include/config.h" ||
	die "libibverbs does not read its driver files from $RC_PREFIX/etc/libibverbs.d"

echo "$key" >"$stamp"
