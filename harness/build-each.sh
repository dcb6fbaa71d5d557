#!/usr/bin/env bash
# Build the tree after every patch of the series: for each commit, the
# directories of the files it changes (a patch that changes only headers
# builds every directory the series changes). Leaves the tree at the
# branch head. Appends one result line per patch to out/results.txt.
set -euo pipefail
. "$(dirname "$0")/env.sh"

cd "$LINUX"
head=$(git symbolic-ref -q --short HEAD) || die "$LINUX is not on a branch"
trap 'git checkout -q "$head"' EXIT
dirs_of() { git diff --name-only "$@" -- '*.c' | xargs -r -n1 dirname | sort -u | sed 's,$,/,'; }
all=$(dirs_of base HEAD)

i=0
for c in $(git rev-list --reverse base..HEAD); do
	i=$((i + 1))
	subject=$(git log -1 --format=%s "$c")
	dirs=$(dirs_of "$c^" "$c")
	[ -n "$dirs" ] || dirs=$all
	[ -n "$dirs" ] || continue
	git checkout -q "$c"
	step "patch $i: $subject: building $(echo $dirs)"
	if make -s O="$KBUILD" CC="ccache gcc" -j"$JOBS" $dirs >"$OUT/build-each.log" 2>&1; then
		printf 'pass\tbuild: patch %d builds alone\t%s\n' "$i" "$subject" >>"$OUT/results.txt"
	else
		grep -E 'error' "$OUT/build-each.log" | head -n 20 >&2
		printf 'fail\tbuild: patch %d builds alone\t%s\n' "$i" "$subject" >>"$OUT/results.txt"
	fi
done
