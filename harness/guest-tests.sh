#!/usr/bin/env bash
# Build what the guest runs: the tree's kselftest targets listed in
# config/kselftests, installed as the tree's own "make install" of the
# selftests would (run_kselftest.sh, its runner, kselftest-list.txt), plus
# the harness's own tests (tests/guest/*.c) as the collection "harness"
# (benchmarks, tests/guest/*_bench.c, built but not listed).
# Headers come from the build tree's "make headers" (usr/include), never the
# source tree. Natively the rdma programs build against the host's rdma-core
# (libibverbs-dev); cross-built for the arm64 guest (harness/arm64-guest.sh:
# ARCH=arm64, CROSS_COMPILE, its KBUILD and OUT) against the arm64 build of
# harness/rdma-core-arm64.sh, which links with the arm64 sysroot's libnl.
set -euo pipefail
. "$(dirname "$0")/env.sh"

st=$LINUX/tools/testing/selftests
inst=$OUT/kselftest
rm -rf "$inst"
mkdir -p "$inst/kselftest"

make -s -C "$LINUX" O="$KBUILD" headers >"$OUT/kselftest-build.log" 2>&1 ||
	{ cat "$OUT/kselftest-build.log" >&2; die "make headers failed"; }
cp "$st/run_kselftest.sh" "$inst/"
cp "$st"/kselftest/{runner.sh,prefix.pl,module.sh} "$inst/kselftest/"

export KSFT_KHDR_INSTALL_DONE=1 CFLAGS="-I$KBUILD/usr/include"
cc=${CROSS_COMPILE:-}gcc rcflags=()
if [ "${ARCH:-}" = arm64 ]; then
	rc=$CACHE/rdma-core/dest-arm64$RC_PREFIX
	rcflags=(-I"$rc/include" -L"$rc/lib"
		-Wl,-rpath-link,"$CACHE/arm64-sysroot/usr/lib/aarch64-linux-gnu")
	CFLAGS="$CFLAGS ${rcflags[*]}"
fi
for t in $(grep -hv '^#' "$TOP/config/kselftests" ${EXTRA_KSELFTESTS:-}); do
	step "building kselftest $t"
	mkdir -p "$KBUILD/kselftest/$t"
	make -s -C "$st/$t" OUTPUT="$KBUILD/kselftest/$t" INSTALL_PATH="$inst/$t" \
		install >>"$OUT/kselftest-build.log" 2>&1 ||
		{ cat "$OUT/kselftest-build.log" >&2; die "kselftest $t failed to build"; }
	make -s --no-print-directory -C "$st/$t" OUTPUT="$KBUILD/kselftest/$t" COLLECTION="$t" \
		emit_tests >>"$inst/kselftest-list.txt"
done

step "building the harness's guest tests"
mkdir -p "$inst/harness"
for src in "$TOP"/tests/guest/*.c; do
	bin=$(basename "$src" .c)
	libs=(-libverbs -lpthread)
	# The two-machine test connects siw's QPs through the RDMA CM.
	case $bin in *_peer) libs+=(-lrdmacm) ;; esac
	"$cc" -Wall -O2 -I"$st" -I"$LINUX" "${rcflags[@]}" "$src" -o "$inst/harness/$bin" \
		"${libs[@]}" ||
		die "building $src failed"
	# A benchmark (*_bench, make bench's) is built, not run as a test; nor
	# is the two-machine test (*_peer, harness/twin.sh's), which needs a peer.
	case $bin in *_bench | *_peer) continue ;; esac
	echo "harness:$bin" >>"$inst/kselftest-list.txt"
done
echo "timeout=300" >"$inst/harness/settings"
# The rdma collection runs last, and its fail-nth sweep (dmabuf_failnth)
# last in it: failing the allocations of a registration one at a time can
# fail DMA-API debugging's own bookkeeping, which then switches itself off
# for the rest of the boot (results.py allows that only there).
list=$inst/kselftest-list.txt
{ grep -v '^rdma:' "$list"; grep '^rdma:' "$list" | grep -v ':dmabuf_failnth$'
  grep '^rdma:dmabuf_failnth$' "$list"; } >"$list.new"
mv "$list.new" "$list"
