#!/usr/bin/env bash
# Install the Debian packages the harness needs; quiet when all are there.
set -euo pipefail

pkgs=(build-essential bc bison flex libelf-dev libssl-dev python3 python3-ply python3-git perl
	xz-utils file ccache sparse git cpio kmod busybox-static qemu-system-x86
	iproute2 rdma-core libibverbs-dev ibverbs-providers ibverbs-utils)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "==> installing: ${missing[*]}"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
log=$(mktemp)
if ! { $sudo apt-get update -qq &&
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	rm -f "$log"
	echo "error: package installation failed" >&2
	exit 1
fi
rm -f "$log"
