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
# cpio_pack DIR FILE: DIR's tree as a gzipped newc archive, an initramfs or a
# part of one (the kernel unpacks concatenated archives in turn).
cpio_pack() { (cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"; }
step() { echo "==> $*"; }

# record pass|fail|skip NAME [DETAIL]: one row of out/results.txt, or of
# $RESULTS (check.sh's steps beside the guests write a file of their own).
record() { printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"${RESULTS:-$OUT/results.txt}"; }
# recorded NAME CMD...: run a step that records its own rows; if it exits
# non-zero without recording a failure, record one for it under NAME.
recorded() {
	local name=$1 res=${RESULTS:-$OUT/results.txt} before rc
	shift
	before=$(cat "$res" 2>/dev/null | grep -c '^fail')
	"$@"
	rc=$?
	[ "$rc" -eq 0 ] || [ "$(cat "$res" 2>/dev/null | grep -c '^fail')" -gt "$before" ] ||
		record fail "$name" "exited $rc without recording a failure (see its output above)"
	return "$rc"
}

# copy_under ROOT FILE [FROM]: copy FILE (links followed), or FILE under the
# directory FROM, to the same path under ROOT.
copy_under() { mkdir -p "$1$(dirname "$2")" && cp -L "${3:-}$2" "$1$2"; }
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

# sysroot_libs SYSROOT [DIR...]: elf_libs for another architecture's
# binaries, which ldd cannot run: read their ELF NEEDED entries and follow
# them through SYSROOT's multiarch library directories, then the DIRs; print,
# once each, the loader (in SYSROOT) and the libraries they need.
sysroot_libs() {
	local sys=$1 e n d found seen=' ' todo
	shift
	local dirs=("$sys"/usr/lib/*-linux-gnu "$@")
	mapfile -t todo
	while [ ${#todo[@]} -gt 0 ]; do
		e=${todo[0]}
		todo=("${todo[@]:1}")
		file -bL "$e" | grep -q '^ELF' || continue
		readelf -lW "$e" | sed -n "s|.*program interpreter: \(.*\)\]\$|$sys\1|p"
		for n in $(readelf -dW "$e" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
			case $seen in *" $n "*) continue ;; esac
			seen="$seen$n "
			found=
			for d in "${dirs[@]}"; do
				[ -e "$d/$n" ] && { found=$d/$n; break; }
			done
			[ -n "$found" ] || die "$n, needed by $e, is in neither $sys nor $*"
			echo "$found"
			todo+=("$found")
		done
	done | sort -u
}

# rdma_core_build SRC BUILD DEST LOG [CMAKE_ARG...]: configure, build and
# install (under DEST) the patched rdma-core for $RC_PREFIX, no pyverbs, no
# man pages, warnings as errors; quiet, its output in LOG; dies on a failure
# or a warning. rdma_core_check PREFIX BUILD [NM]: the providers carry the
# series' op and libibverbs reads its driver files from $RC_PREFIX.
rdma_core_build() {
	local src=$1 build=$2 dest=$3 log=$4
	shift 4
	mkdir -p "$build"
	if ! { cmake -S "$src" -B "$build" -GNinja -DNO_PYVERBS=1 -DNO_MAN_PAGES=1 \
		-DENABLE_WERROR=1 -DCMAKE_INSTALL_PREFIX="$RC_PREFIX" "$@" &&
		ninja -C "$build" -j "$JOBS" && DESTDIR="$dest" ninja -C "$build" install; } >"$log" 2>&1; then
		{ grep -v '^\[[0-9]*/[0-9]*\] ' "$log" || true; } | tail -n 40 >&2
		die "rdma-core build failed (full log: $log)"
	fi
	if grep -Ei 'warning[:]|CMake Warning' "$log" >&2; then
		die "rdma-core build has warnings (full log: $log)"
	fi
}
rdma_core_check() {
	local p
	for p in rxe siw; do
		grep -q " ${p}_reg_dmabuf_mr$" < <(${3:-nm} "$1/lib/libibverbs/lib$p-rdmav"*.so) ||
			die "lib$p has no ${p}_reg_dmabuf_mr: were the patches applied?"
	done
	grep -q "\"$RC_PREFIX/etc/libibverbs.d\"" "$2/include/config.h" ||
		die "libibverbs does not read its driver files from $RC_PREFIX/etc/libibverbs.d"
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
	if ! { $sudo apt-get update -qq -o DPkg::Lock::Timeout=300 &&
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
			--no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "package installation failed"
	fi
	rm -f "$log"
}

# private_apt DIR TYPE SUITE [ARCH]: an apt configuration of its own in DIR,
# with one sources line of TYPE (deb or deb-src) for SUITE on the same Debian
# mirror as the system's sources (read here, never written in the repo),
# updated; with ARCH, for that architecture alone and blind to the host's
# installed packages. Sets APT_OPTS for the apt-get calls that use it.
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
	[ -z "${4:-}" ] || APT_OPTS+=(-o APT::Architecture="$4" -o APT::Architectures::="$4"
		-o Dir::State::status=/dev/null)
	apt-get -qq "${APT_OPTS[@]}" update
}

# debian_orig TARBALL PKG=VERSION SUITE SHA256: the .orig tarball of that
# Debian source package in TARBALL (named as in the archive), fetched unless
# there and checked against SHA256 (removed if it differs). The .dsc is not
# fetchable, so the URL comes from SUITE's signed Sources index, read through
# a private apt configuration next to TARBALL, and apt's downloader checks
# the sum on the way.
debian_orig() {
	local tarball=$1 src=$2 suite=$3 sum=$4 url
	if [ ! -f "$tarball" ]; then
		step "fetching ${src/=/ } source from $suite"
		private_apt "$(dirname "$tarball")/apt" deb-src "$suite"
		url=$(apt-get -qq "${APT_OPTS[@]}" source --print-uris "$src" 2>/dev/null |
			awk -v f="${tarball##*/}" -v s="SHA256:$sum" '$2 == f && $4 == s { print $1 }')
		[ -n "$url" ] || die "$suite's Sources index has no ${tarball##*/} of sha256 $sum for $src"
		/usr/lib/apt/apt-helper -qq "${APT_OPTS[@]}" download-file "${url//\'/}" \
			"$tarball.part" "SHA256:$sum" >/dev/null || die "could not fetch $url"
		mv "$tarball.part" "$tarball"
	fi
	sha256sum -c --quiet - <<<"$sum  $tarball" ||
		{ rm -f "$tarball"; die "sha256 mismatch for $tarball (removed; rerun to fetch again)"; }
}

# git_am_tree SRC TARBALL LOG PATCH...: SRC made afresh from TARBALL (its top
# directory dropped) as a git repository whose first commit is tagged base,
# then the PATCHes applied with git am; one that does not apply shows git's
# output (kept in LOG) and dies.
git_am_tree() {
	local src=$1 tarball=$2 log=$3 p
	local git=(git -C "$src" -c user.name="RDMA dma-buf harness" -c user.email=harness@localhost)
	shift 3
	rm -rf "$src"
	mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
	{ "${git[@]}" init -q -b dmabuf && "${git[@]}" add -A -f . &&
		"${git[@]}" commit -q -m "${tarball##*/}" && "${git[@]}" tag base; } >"$log" 2>&1 ||
		{ cat "$log" >&2; die "could not make a git repository of ${tarball##*/} in $src"; }
	for p in "$@"; do
		"${git[@]}" am -q "$p" >"$log" 2>&1 && continue
		cat "$log" >&2
		"${git[@]}" am --abort >/dev/null 2>&1 || true
		die "patch ${p##*/} does not apply to ${tarball##*/}"
	done
}

# logged LOG CMD...: run CMD with its output added to LOG; if it fails, show
# the end of LOG and die.
logged() {
	local log=$1
	shift
	"$@" >>"$log" 2>&1 && return 0
	tail -n 40 "$log" >&2
	die "$* failed (full log: $log)"
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
