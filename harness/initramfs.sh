#!/usr/bin/env bash
# Make the guest's initramfs from the host's own binaries and their ldd
# closure: busybox, iproute2's ip and rdma, coreutils' timeout (for the
# kselftest runner), the installed kselftests, and the init script; and
# rdma-core: by default the patched build of harness/rdma-core.sh (rxe and
# siw providers with reg_dmabuf_mr), with RDMA_CORE=debian the host's own.
# With ARCH=arm64 (harness/arm64-guest.sh), the same from Debian's arm64
# packages in harness/arm64-sysroot.sh's sysroot, their libraries found by
# their ELF headers, and the arm64 build of harness/rdma-core-arm64.sh.
set -euo pipefail
. "$(dirname "$0")/env.sh"

root=$OUT/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,usr/bin,etc,proc,sys,dev,tmp,lib64}

sysroot='' triplet=x86_64-linux-gnu dest=dest tools=/usr/bin
if [ "${ARCH:-}" = arm64 ]; then
	sysroot=$CACHE/arm64-sysroot triplet=aarch64-linux-gnu dest=dest-arm64
	tools=$CACHE/rdma-core/$dest$RC_PREFIX/bin
	[ -f "$sysroot/.stamp" ] || die "no arm64 sysroot in $sysroot: run harness/arm64-sysroot.sh"
	mkdir -p "$root/lib/$triplet"
fi
bins=("$sysroot"/bin/busybox "$sysroot"/usr/bin/{timeout,ip,rdma}
	"$tools"/{ibv_devinfo,ibv_rc_pingpong})
libs=()
case ${RDMA_CORE:-patched} in
patched)
	rc=$CACHE/rdma-core/$dest
	[ -f "$rc/.stamp" ] || die "no patched rdma-core in $rc: run harness/rdma-core.sh"
	provdir=$rc$RC_PREFIX/lib/libibverbs drivers=$rc$RC_PREFIX/etc/libibverbs.d
	verbs=$(readlink -f "$rc$RC_PREFIX/lib/libibverbs.so.1")
	rc_version="rdma-core $(basename "$verbs" | sed 's/.*\.so\.[0-9]*\.[0-9]*\.//') with the rdma-core/ patches"
	;;
debian)
	[ -z "$sysroot" ] || die "RDMA_CORE=debian: the host's rdma-core is x86_64's"
	provdir=/usr/lib/x86_64-linux-gnu/libibverbs drivers=/etc/libibverbs.d
	verbs=
	rc_version="Debian's rdma-core $(dpkg-query -W -f='${Version}' rdma-core)"
	;;
*) die "RDMA_CORE must be patched or debian" ;;
esac
for p in rxe siw; do libs+=("$provdir"/lib$p-rdmav*.so); done
elves=("${bins[@]}" "${libs[@]}" $verbs)
while IFS= read -r f; do elves+=("$f"); done < <(find "$OUT/kselftest" -type f -perm -u+x)

for b in "${bins[@]}"; do cp -L "$b" "$root/bin/"; done
ln -s ../../bin/timeout "$root/usr/bin/timeout"
if [ -n "$verbs" ]; then
	# The patched build is staged under $rc; in the guest it is at its prefix.
	mkdir -p "$root$RC_PREFIX/lib/libibverbs"
	cp "${libs[@]}" "$root$RC_PREFIX/lib/libibverbs/"
else
	for l in "${libs[@]}"; do copy_under "$root" "$l"; done
fi
if [ -z "$sysroot" ]; then
	printf '%s\n' "${elves[@]}" | elf_libs
else
	printf '%s\n' "${elves[@]}" | sysroot_libs "$sysroot" "$rc$RC_PREFIX/lib"
fi | while IFS= read -r l; do
	case $l in
	"$sysroot"/*) copy_under "$root" "${l#"$sysroot"}" "$sysroot" ;;
	*) cp -L "$l" "$root/lib/$triplet/" ;;	# rdma-core's, for arm64
	esac
done
guest_drivers=${RC_PREFIX}/etc/libibverbs.d
[ -n "$verbs" ] || guest_drivers=$drivers
mkdir -p "$root$guest_drivers"
cp "$drivers"/{rxe,siw}.driver "$root$guest_drivers/"
# Programs find libibverbs.so.1 where ldd found the host's: put ours there.
[ -z "$verbs" ] || cp "$verbs" "$root/lib/$triplet/libibverbs.so.1"
echo "$rc_version" >"$root/etc/rdma-core-version"

cp -a "$OUT/kselftest" "$root/kselftest"
cp "$TOP/harness/guest-init.sh" "$root/init"
cp "$TOP/harness/guest-demo.sh" "$root/demo.sh"
chmod +x "$root/init" "$root/demo.sh"

cpio_pack "$root" "$OUT/initramfs.cpio.gz"
echo "==> initramfs: $(du -h "$OUT/initramfs.cpio.gz" | cut -f1)"
