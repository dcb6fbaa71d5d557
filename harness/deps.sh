#!/usr/bin/env bash
# Install the Debian packages the harness needs; quiet when all are there.
set -euo pipefail
. "$(dirname "$0")/env.sh"

pkgs=(build-essential bc bison flex libelf-dev libssl-dev python3 python3-ply python3-git perl
	xz-utils file ccache sparse git cpio kmod rsync busybox-static qemu-system-x86
	iproute2 rdma-core libibverbs-dev librdmacm-dev ibverbs-providers ibverbs-utils
	gnuplot-nox)

install_pkgs "${pkgs[@]}"
