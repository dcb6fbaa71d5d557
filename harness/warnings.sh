#!/usr/bin/env bash
# Compile every kernel C file the series adds or changes once more with
# W=1 and sparse (C=1), and fail a file if any warning falls on a line the
# series added or changed. Warnings on lines the base tree already had are
# counted and shown, not failed: they are not ours (mlx5's qp.c, for one,
# has W=1 warnings at base). One result line per file in out/results.txt.
#
# The objects are rebuilt with other flags, so the next build.sh rebuilds
# them again; check.sh runs this before its last build.
set -euo pipefail
. "$(dirname "$0")/env.sh"

res=$OUT/results.txt
log=$OUT/warnings.log
record() { printf '%s\tlint: %s\t%s\n' "$1" "$2" "${3:-}" >>"$res"; }

cd "$LINUX"
files=$(git diff --name-only --diff-filter=AM base..HEAD -- '*.c' | grep -v '^tools/' || true)
[ -n "$files" ] || exit 0
objs=$(for f in $files; do echo "${f%.c}.o"; done)

step "W=1 and sparse on the $(echo "$files" | wc -l) C files the series touches"
command -v sparse >/dev/null || die "sparse is not installed (harness/deps.sh installs it)"
# Both flags change the compiler's command line, so every object is rebuilt
# and every file is checked.
if ! make O="$KBUILD" CC="ccache gcc" -j"$JOBS" W=1 C=1 $objs >"$log" 2>&1; then
	grep -E 'error|Error' "$log" | head -n 20 >&2
	record fail "W=1 and sparse build" "see out/warnings.log"
	exit 1
fi

# added FILE: the line numbers the series added or changed in FILE.
added() {
	git diff -U0 base..HEAD -- "$1" |
		sed -n 's/^@@ -[0-9,]* +\([0-9]*\)\(,\([0-9]*\)\)\? @@.*/\1 \3/p' |
		awk '{ n = ($2 == "") ? 1 : $2; for (i = 0; i < n; i++) print $1 + i }'
}

fail=0
for f in $files; do
	# gcc: "path:line:col: warning: ..."; sparse: "path:line:col: warning: ..." or "error:"
	hits=$(grep -E "^(\.\./)*([^ ]*/)?$f:[0-9]+:[0-9]+: (warning|error):" "$log" |
		sed -E 's/^([^:]*):([0-9]+):.*/\2/' | sort -un || true)
	total=$(echo "$hits" | grep -c . || true)
	ours=$(comm -12 <(echo "$hits" | sort) <(added "$f" | sort) | grep -c . || true)
	if [ "$ours" -eq 0 ]; then
		record pass "W=1 and sparse $f" \
			"$([ "$total" -eq 0 ] && echo clean || echo "$total at lines the base already had")"
	else
		grep -E "$f:[0-9]+:[0-9]+: (warning|error):" "$log" | head -n 5 >&2
		record fail "W=1 and sparse $f" "$ours on lines the series changed"
		fail=1
	fi
done
exit $fail
