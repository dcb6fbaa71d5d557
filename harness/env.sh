# Paths and pins shared by the harness scripts; sourced, never run.
# Everything outside git lives under $CACHE so that it survives a fresh
# clone: the base tarball, the kernel tree, the build tree and ccache.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CACHE:-$HOME/.cache/rdma-dmabuf-mr}
LINUX=${LINUX:-$CACHE/linux}
KBUILD=${KBUILD:-$CACHE/build}
OUT=${OUT:-$TOP/out}
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}

BASE_PKG=linux-source-5.10
BASE_VERSION=5.10.223-1
BASE_SHA256=f733d27d239d65598d96d7a72f71ac50f49f2380192a1b3b4ca2f5ad5144dd63
BRANCH=${BRANCH:-dmabuf-mr}
JOBS=${JOBS:-$(nproc)}

die() { echo "error: $*" >&2; exit 1; }
step() { echo "==> $*"; }
