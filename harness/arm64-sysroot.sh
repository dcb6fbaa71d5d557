#!/usr/bin/env bash
# The arm64 guest's userland, and the arm64 libraries that rdma-core is
# cross-built against: Debian bookworm's own arm64 packages at the exact
# versions below, fetched with apt through a private configuration for arm64
# (apt checks each against the signed index) and unpacked with dpkg-deb into
# $CACHE/arm64-sysroot. Quiet when the sysroot holds these versions. A
# bookworm point release that drops a version makes the fetch fail: pin the
# new one here.
set -euo pipefail
. "$(dirname "$0")/env.sh"

SYSROOT=$CACHE/arm64-sysroot
PKGS=(
	busybox-static=1:1.35.0-4+deb12u1+b1	# the init's shell and tools
	iproute2=6.1.0-3			# ip, rdma
	coreutils=9.1-1				# timeout, for the kselftest runner
	libc6=2.36-9+deb12u14
	# what ip and rdma need
	libbpf1=1:1.1.2-0+deb12u1 libelf1=0.188-2.1 zlib1g=1:1.2.13.dfsg-1
	libmnl0=1.0.4-3 libbsd0=0.11.7-2 libmd0=1.0.4-2 libcap2=1:2.66-4+deb12u3+b1
	# rdma-core's netlink libraries, to build against and to run
	libnl-3-200=3.7.0-0.2+b1 libnl-route-3-200=3.7.0-0.2+b1
	libnl-3-dev=3.7.0-0.2+b1 libnl-route-3-dev=3.7.0-0.2+b1
)
stamp=$SYSROOT/.stamp
key=$(printf '%s\n' "${PKGS[@]}" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
	exit 0
fi

step "arm64 sysroot: fetching ${#PKGS[@]} Debian bookworm arm64 packages"
apt=$CACHE/arm64-apt
private_apt "$apt" deb bookworm arm64
rm -rf "$apt/debs" "$SYSROOT"
mkdir -p "$apt/debs" "$SYSROOT"
(cd "$apt/debs" && apt-get -qq "${APT_OPTS[@]}" download "${PKGS[@]}") ||
	die "could not fetch the pinned arm64 packages from bookworm (see above)"
for d in "$apt/debs"/*.deb; do dpkg-deb -x "$d" "$SYSROOT"; done
# Bookworm's packages still ship files in /lib and /bin, which its merged-/usr
# systems make links into /usr: merge them so, for the libraries to be where
# the pkg-config files say.
for d in bin sbin lib; do
	mkdir -p "$SYSROOT/usr/$d"
	if [ -d "$SYSROOT/$d" ]; then
		cp -a "$SYSROOT/$d/." "$SYSROOT/usr/$d/"
		rm -rf "${SYSROOT:?}/$d"
	fi
	ln -s "usr/$d" "$SYSROOT/$d"
done
echo "$key" >"$stamp"
