#!/usr/bin/env bash
# Build perftest (ib_write_bw, ib_read_bw, ib_send_bw, ib_write_lat,
# ib_read_lat, ...) with the patch in perftest/ (host memory as a dma-buf,
# registered with ibv_reg_dmabuf_mr(): --use_udmabuf, --use_dma_heap=) and
# install it, for prefix $RC_PREFIX, under $CACHE/perftest/dest; then pack
# it for the guest, where it runs on the patched rdma-core of
# harness/rdma-core.sh: out/perftest.cpio.gz, an initramfs that boot.sh
# appends to the guest's, with the ib_* programs, the libraries they need
# that the guest lacks, and /bench.sh (harness/guest-bench.sh). It
# is built against the host's libibverbs-dev and librdmacm-dev: their ABI
# has ibv_reg_dmabuf_mr(). The source is Debian's perftest .orig tarball
# from the trixie suite (pinned version and sha256), fetched as
# rdma-core.sh fetches rdma-core's. Quiet and quick when up to date: a stamp
# holds the sha256 of the tarball, the patches and this script.
set -euo pipefail
. "$(dirname "$0")/env.sh"

PT_VERSION=25.01.0+0.80
PT_DEB_VERSION=$PT_VERSION-1
PT_SUITE=trixie
PT_SHA256=54e86b131f0b06862b8b9cd692739737295463cfef467bdda5f5aa3dae8c5b05

PT=$CACHE/perftest
tarball=$PT/perftest_$PT_VERSION.orig.tar.gz
log=$PT/build.log
patches=("$TOP"/perftest/*.patch)
[ -f "${patches[0]}" ] || die "no patches in $TOP/perftest"

# What the build needs from Debian (bookworm): autotools, because the patch
# changes configure.ac and Makefile.am.
install_pkgs autoconf automake libtool make gcc libc6-dev git \
	libibverbs-dev librdmacm-dev libibumad-dev libpci-dev
mkdir -p "$PT"

# pack: out/perftest.cpio.gz. libibverbs is left out: the guest's is the
# patched one (harness/initramfs.sh), which the appended archive must not
# overwrite.
pack() {
	local root=$OUT/perftest-root
	rm -rf "$root"
	mkdir -p "$root$RC_PREFIX/bin"
	cp "$PT/dest$RC_PREFIX"/bin/ib_{write,read,send}_{bw,lat} "$root$RC_PREFIX/bin/"
	find "$root$RC_PREFIX/bin" -type f | elf_libs | grep -v '/libibverbs\.so' |
		while IFS= read -r l; do copy_under "$root" "$l"; done
	cp "$TOP/harness/guest-bench.sh" "$root/bench.sh"
	chmod +x "$root/bench.sh"
	cpio_pack "$root" "$OUT/perftest.cpio.gz"
	echo "==> perftest.cpio.gz: $(du -h "$OUT/perftest.cpio.gz" | cut -f1)"
}

debian_orig "$tarball" "perftest=$PT_DEB_VERSION" "$PT_SUITE" "$PT_SHA256"

key=$(cat <(echo "$PT_SHA256") "${patches[@]}" "$0" | sha256sum | cut -d' ' -f1)
[ "$(cat "$PT/dest/.stamp" 2>/dev/null)" != "$key" ] || { pack; exit 0; }

step "unpacking perftest $PT_VERSION and applying ${#patches[@]} patch(es)"
rm -rf "$PT/dest"
git_am_tree "$PT/src" "$tarball" "$log" "${patches[@]}"

step "building perftest $PT_VERSION into $PT/dest$RC_PREFIX (about a minute)"
cd "$PT/src"
: >"$log"
logged "$log" ./autogen.sh
logged "$log" ./configure --prefix="$RC_PREFIX"
logged "$log" make -j "$JOBS"
logged "$log" make install DESTDIR="$PT/dest"

# The patch's files compile without a warning (perftest's -Wall; the rest
# of perftest has none either, but it is not ours to judge).
mapfile -t touched < <(git diff --name-only base HEAD -- '*.c' '*.h')
if grep ': warning:' "$log" | grep -F -f <(printf '%s:\n' "${touched[@]}") >&2; then
	die "perftest build has warnings in the patch's files (full log: $log)"
fi

# The memory type was built in: configure found ibv_reg_dmabuf_mr() and the
# udmabuf and dma-heap uAPI headers.
for b in ib_write_bw ib_read_bw ib_send_bw ib_write_lat ib_read_lat; do
	grep -q -- '--use_udmabuf' < <("$PT/dest$RC_PREFIX/bin/$b" --help 2>&1) ||
		die "$b has no --use_udmabuf: see HAVE_HOST_DMABUF in $log"
done

echo "$key" >"$PT/dest/.stamp"
pack
