#!/usr/bin/env bash
# Build the tree after every patch of the series: for each commit, the
# kernel directories of the C files it changes with kbuild, and the
# kselftest directories it changes with their own Makefile (a patch that
# changes no C file builds every directory the series changes). Leaves
# the tree at the branch head. One result line per patch in out/results.txt.
set -euo pipefail
. "$(dirname "$0")/env.sh"

cd "$LINUX"
head=$(git symbolic-ref -q --short HEAD) || die "$LINUX is not on a branch"
trap 'git checkout -q "$head"' EXIT
dirs_of() { git diff --name-only "$@" -- '*.c' | xargs -r -n1 dirname | sort -u; }
all=$(dirs_of base HEAD)
st=tools/testing/selftests
log=$OUT/build-each.log

build_dirs() { # dirs...: kbuild for kernel dirs, the selftest's make for the rest
	local d kdirs=()
	for d in "$@"; do
		case $d in
		$st/*)
			mkdir -p "$KBUILD/build-each/$d"
			KSFT_KHDR_INSTALL_DONE=1 CFLAGS="-I$KBUILD/usr/include" \
				make -s -C "$d" OUTPUT="$KBUILD/build-each/$d" >>"$log" 2>&1 ||
				return 1 ;;
		tools/*) echo "no build rule for $d" >>"$log"; return 1 ;;
		*) kdirs+=("$d/") ;;
		esac
	done
	[ ${#kdirs[@]} -eq 0 ] ||
		make -s O="$KBUILD" CC="ccache gcc" -j"$JOBS" "${kdirs[@]}" >>"$log" 2>&1
}

: >"$log"
i=0
for c in $(git rev-list --reverse base..HEAD); do
	i=$((i + 1))
	subject=$(git log -1 --format=%s "$c")
	dirs=$(dirs_of "$c^" "$c")
	[ -n "$dirs" ] || dirs=$all
	[ -n "$dirs" ] || continue
	git checkout -q "$c"
	# Of the series' directories, a patch without C files builds those
	# that exist at that point of the series.
	dirs=$(for d in $dirs; do [ ! -d "$d" ] || echo "$d"; done)
	step "patch $i: $subject: building $(echo $dirs)"
	if build_dirs $dirs; then
		printf 'pass\tbuild: patch %d builds alone\t%s\n' "$i" "$subject" >>"$OUT/results.txt"
	else
		grep -E 'error|Error' "$log" | tail -n 20 >&2
		printf 'fail\tbuild: patch %d builds alone\t%s\n' "$i" "$subject" >>"$OUT/results.txt"
	fi
done
