# Paths, pins and the few helpers the harness scripts share; sourced, never run.
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
# Debian's own kernel configurations for that version (harness/debian-build.sh).
DEBIAN_CONFIG_SHA256=bae13f7451af3b274c3ea7dca2f6b1d99b095036a3e75614970eb484ca7a2e12
BRANCH=${BRANCH:-dmabuf-mr}
# Where the patched rdma-core lives in the guest (and is built for); its
# files are staged under $CACHE/rdma-core/dest on the host.
RC_PREFIX=/usr/local/rdma-dmabuf-mr
JOBS=${JOBS:-$(nproc)}

die() { echo "error: $*" >&2; exit 1; }
step() { echo "==> $*"; }

# record pass|fail|skip NAME [DETAIL]: one row of out/results.txt.
record() { printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$OUT/results.txt"; }
# recorded NAME CMD...: run a step that records its own rows; if it exits
# non-zero without recording a failure, record one for it under NAME.
recorded() {
	local name=$1 before rc
	shift
	before=$(cat "$OUT/results.txt" 2>/dev/null | grep -c '^fail')
	"$@"
	rc=$?
	[ "$rc" -eq 0 ] || [ "$(cat "$OUT/results.txt" 2>/dev/null | grep -c '^fail')" -gt "$before" ] ||
		record fail "$name" "exited $rc without recording a failure (see its output above)"
	return "$rc"
}

# copy_under ROOT FILE: copy FILE (links followed) to the same path under ROOT.
copy_under() { mkdir -p "$1$(dirname "$2")" && cp -L "$2" "$1$2"; }
# elf_libs: read file names on stdin; print, once each, the shared libraries
# and the loader that those of them that are ELF need (ldd's answer, with the
# caller's LD_LIBRARY_PATH).
elf_libs() {
	local e
	while IFS= read -r e; do
		file -b "$e" 2>/dev/null | grep -q '^ELF' || continue
		ldd "$e" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib64/ { print $1 }' || true
	done | sort -u
}

# install_pkgs PKG...: install those not yet installed from Debian's
# packages, quietly; their output is shown only if the install fails.
install_pkgs() {
	local p missing=() sudo='' log
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	step "installing: ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	log=$(mktemp)
	if ! { $sudo apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
			--no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "package installation failed"
	fi
	rm -f "$log"
}

# private_apt DIR TYPE SUITE: an apt configuration of its own in DIR, with
# one sources line of TYPE (deb or deb-src) for SUITE on the same Debian
# mirror as the system's sources (read here, never written in the repo),
# updated. Sets APT_OPTS for the apt-get calls that use it.
private_apt() {
	local dir=$1 type=$2 suite=$3 uri f
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
		[ -r "$f" ] || continue
		uri=$(awk '/^URIs:/ { print $2 } /^deb / { print $2 }' "$f" | grep -m1 -v security) &&
			break
	done
	[ -n "${uri:-}" ] || die "no Debian mirror found in the system's apt sources"
	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	echo "$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
		>"$dir/sources.list"
	APT_OPTS=(-o Dir::Etc::sourcelist="$dir/sources.list"
		-o Dir::Etc::sourceparts=- -o Dir::State::Lists="$dir/lists"
		-o Dir::Cache::archives="$dir/archives" -o APT::Get::List-Cleanup=0
		-o APT::Sandbox::User=root)
	apt-get -qq "${APT_OPTS[@]}" update
}

# One run at a time per cache: the first script of a run takes $CACHE/lock
# (its children inherit it); a second run is refused, never queued.
if [ "${HARNESS_LOCK:-}" != "$CACHE" ]; then
	mkdir -p "$CACHE"
	exec 9<>"$CACHE/lock"
	if ! flock -n 9; then
		echo "error: another harness run is using $CACHE (lock $CACHE/lock, held by:" \
			"$(cat "$CACHE/lock.owner" 2>/dev/null || echo unknown))." >&2
		echo "       Wait for it to finish, or give this run a cache of its own with CACHE=." >&2
		exit 1
	fi
	echo "pid $$, $(basename "$0") in $TOP, since $(date '+%F %T')" >"$CACHE/lock.owner"
	export HARNESS_LOCK=$CACHE
fi
