#!/usr/bin/env bash
# Build the tree after every patch of the series: for each commit, the
# configuration made again from config/ where the commit changes a Kconfig
# file (as config.sh does; the tree's kconfig at that commit drops the
# symbols it does not know yet), then the
# kernel directories of the C files it changes with kbuild, and the
# kselftest directories it changes with their own Makefile (a patch that
# changes no C file builds every directory the series changes). A patch
# passes only if every C file it changes was compiled in its step (its
# object, or its kselftest program, is newer than the step's start): an
# object that dropped out of the configuration is a failure, not a pass.
# Needs no build before it: on a cold build tree the first patch's step
# prepares it (make check runs this before its full build, so that a cold
# run compiles the series' directories once per state, not once more for
# a full build of the head before the first patch). Leaves the tree at the
# branch head. One result line per patch in
# out/results.txt.
set -euo pipefail
. "$(dirname "$0")/env.sh"

mkdir -p "$KBUILD"
cd "$LINUX"
head=$(git symbolic-ref -q --short HEAD) || die "$LINUX is not on a branch"
trap 'git checkout -q "$head"' EXIT
dirs_of() { git diff --name-only "$@" -- '*.c' | xargs -r -n1 dirname | sort -u; }
all=$(dirs_of base HEAD)
st=tools/testing/selftests
log=$OUT/build-each.log

# The kselftests build against the uapi headers of the build tree ("make
# headers"), made again whenever the series has changed them since.
hdrs_at=
headers() { # commit
	if [ -z "$hdrs_at" ] || ! git diff --quiet "$hdrs_at" "$1" -- include/uapi arch/x86/include/uapi; then
		make -s O="$KBUILD" headers || return 1
		hdrs_at=$1
	fi
}

build_dirs() { # commit dirs...: kbuild for kernel dirs, the selftest's make for the rest
	local at=$1 d kdirs=()
	shift
	for d in "$@"; do
		case $d in
		$st/*)
			headers "$at" || return 1
			mkdir -p "$KBUILD/build-each/$d"
			KSFT_KHDR_INSTALL_DONE=1 CFLAGS="-I$KBUILD/usr/include" \
				make -s -C "$d" OUTPUT="$KBUILD/build-each/$d" || return 1 ;;
		tools/*) echo "no build rule for $d"; return 1 ;;
		*) kdirs+=("$d/") ;;
		esac
	done
	[ ${#kdirs[@]} -eq 0 ] ||
		make -s O="$KBUILD" CC="ccache gcc" -j"$JOBS" "${kdirs[@]}"
}

# compiled_since STAMP FILE...: print each C file whose object (or kselftest
# program) is not newer than STAMP.
compiled_since() {
	local stamp=$1 f o
	shift
	for f in "$@"; do
		case $f in
		$st/*) o=$KBUILD/build-each/${f%.c} ;;
		tools/*) continue ;;
		*) o=$KBUILD/${f%.c}.o ;;
		esac
		[ "$o" -nt "$stamp" ] || echo "$f"
	done
}
row() { printf '%s\tbuild: patch %d builds alone\t%s\n' "$1" "$2" "$3" >>"$OUT/results.txt"; }

: >"$log"
stamp=$KBUILD/.build-each.stamp
i=0
for c in $(git rev-list --reverse base..HEAD); do
	i=$((i + 1))
	subject=$(git log -1 --format=%s "$c")
	dirs=$(dirs_of "$c^" "$c")
	[ -n "$dirs" ] || dirs=$all
	[ -n "$dirs" ] || continue
	git checkout -q "$c"
	# Of the series' directories, a patch without C files builds those
	# that the tree has at that point of the series (not a directory left
	# by some build).
	dirs=$(for d in $dirs; do if git cat-file -e "$c:$d" 2>/dev/null; then echo "$d"; fi; done)
	# The configuration depends on the fragments and the tree's Kconfig
	# files only: made again for the first patch and each patch that
	# changes a Kconfig file (about 10 s each), kept for the others.
	reconfig=:
	[ "$i" -eq 1 ] || [ -n "$(git diff --name-only "$c^" "$c" -- '*Kconfig*')" ] ||
		reconfig=false
	step "patch $i: $subject: building $(echo $dirs)$($reconfig && echo ', configured again')"
	touch "$stamp"
	t=$(date +%s)
	if ! { { ! $reconfig || "$TOP/harness/config.sh" --partial; } && build_dirs "$c" $dirs; } \
		>>"$log" 2>&1 </dev/null; then
		grep -E 'error|Error|Stop' "$log" | tail -n 20 >&2 || true
		row fail "$i" "$subject: does not build (see out/build-each.log)"
		echo "    patch $i: $(($(date +%s) - t)) s, failed"
		continue
	fi
	missing=$(compiled_since "$stamp" $(git diff --name-only --diff-filter=AM "$c^" "$c" -- '*.c'))
	if [ -n "$missing" ]; then
		echo "patch $i: not compiled in its step: $missing" | tee -a "$log" >&2
		row fail "$i" "$subject: not compiled (not in the config?): $(echo $missing)"
	else
		row pass "$i" "$subject"
	fi
	echo "    patch $i: $(($(date +%s) - t)) s"
done
