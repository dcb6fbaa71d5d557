#!/usr/bin/env bash
# Build rdma-core's Python binding (pyverbs) and its test suite from the
# patched rdma-core tree of harness/rdma-core.sh, and pack them, with the
# host's python3 and the ldd closure of everything, into out/pyverbs.cpio.gz:
# an initramfs of its own that boot.sh appends to the guest's, adding
# /pyverbs (the build, the tests, an env file) and /pyverbs.sh (the runner,
# harness/guest-pyverbs.sh). It is the same patched source built a second
# time, with pyverbs, for the prefix /pyverbs (its libibverbs reads its
# providers and driver files there), so that the libraries the other tests
# use stay those of rdma-core.sh's build, made without pyverbs and -Werror.
set -euo pipefail
. "$(dirname "$0")/env.sh"

src=$CACHE/rdma-core/src
W=$CACHE/pyverbs
build=$W/build dest=$W/dest log=$W/build.log prefix=/pyverbs
PY=/usr/bin/python3
[ -f "$CACHE/rdma-core/dest/.stamp" ] || die "no patched rdma-core: run harness/rdma-core.sh"
install_pkgs cython3 python3-dev file rsync cpio

key=$(cat "$CACHE/rdma-core/dest/.stamp" "$0" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$dest/.stamp" 2>/dev/null)" != "$key" ]; then
	step "building rdma-core's pyverbs and tests (a few minutes; log: $log)"
	rm -rf "$build" "$dest"
	mkdir -p "$W"
	{ cmake -S "$src" -B "$build" -GNinja -DNO_MAN_PAGES=1 -DPYTHON_EXECUTABLE=$PY \
		-DCMAKE_INSTALL_PREFIX=$prefix \
		-DCMAKE_INSTALL_PYTHON_ARCH_LIB=$prefix/lib/python3/dist-packages &&
		ninja -C "$build" -j "$JOBS" && DESTDIR="$dest" ninja -C "$build" install; } \
		>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "the pyverbs build failed"; }
	echo "$key" >"$dest/.stamp"
fi
tests=$(dirname "$(find "$dest" -name run_tests.py | head -n 1)")
[ -d "$dest$prefix/lib/python3/dist-packages/pyverbs" ] && [ -f "$tests/run_tests.py" ] ||
	die "no pyverbs or tests in $dest"

step "packing python3, pyverbs and rdma-core's tests into out/pyverbs.cpio.gz"
root=$OUT/pyverbs-root
rm -rf "$root"
mkdir -p "$root/usr/bin" "$root/usr/lib"
pyver=$($PY -c 'import sys; print("%d.%d" % sys.version_info[:2])')
cp -L $PY "$root/usr/bin/python3"
rsync -a --exclude=test/ --exclude=idlelib/ --exclude=tkinter/ --exclude=ensurepip/ \
	--exclude=lib2to3/ --exclude=turtledemo/ --exclude=site-packages/ \
	--exclude=dist-packages/ --exclude=__pycache__/ "/usr/lib/python$pyver" "$root/usr/lib/"
rsync -a --exclude=include/ --exclude='*.a' --exclude=man/ "$dest$prefix" "$root/"
$PY -m compileall -q "$root/usr/lib/python$pyver" "$root$prefix" >/dev/null || true
{
	echo $PY
	find "$dest" -type f \( -name '*.so*' -o -perm -u+x \)
	find "/usr/lib/python$pyver/lib-dynload" -name '*.so'
} | LD_LIBRARY_PATH=$dest$prefix/lib elf_libs | grep -v "^$dest" |
	while IFS= read -r l; do copy_under "$root" "$l"; done
{
	echo "export PATH=/usr/bin:/bin HOME=/tmp PYTHONDONTWRITEBYTECODE=1"
	echo "export LD_LIBRARY_PATH=$prefix/lib PYTHONPATH=$prefix/lib/python3/dist-packages"
	echo "export PYVERBS_TESTS=${tests#"$dest"}"
} >"$root$prefix/env"
cp "$TOP/harness/guest-pyverbs.sh" "$root/pyverbs.sh"
chmod +x "$root/pyverbs.sh"
cpio_pack "$root" "$OUT/pyverbs.cpio.gz"
echo "==> pyverbs.cpio.gz: $(du -h "$OUT/pyverbs.cpio.gz" | cut -f1)"
