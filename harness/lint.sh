#!/usr/bin/env bash
# Lint the series: checkpatch.pl --strict on every patch (exceptions only
# as written in config/checkpatch-exceptions) and scripts/kernel-doc -none
# on every C file and header the series touches. One result line per check
# is appended to out/results.txt; exits non-zero if any failed.
set -euo pipefail
. "$(dirname "$0")/env.sh"

res=$OUT/results.txt
fail=0
record() { # status name detail
	printf '%s\tlint: %s\t%s\n' "$1" "$2" "${3:-}" >>"$res"
	[ "$1" = fail ] && fail=1
	return 0
}

for p in "$TOP"/series/[0-9][0-9][0-9][0-9]-*.patch; do
	[ -e "$p" ] || continue
	name=${p##*/}
	[ "$name" = 0000-cover-letter.patch ] && continue
	ignore=$(awk -v n="$name" '$1 == n { printf "%s,", $2 }' "$TOP/config/checkpatch-exceptions")
	if out=$(cd "$LINUX" && scripts/checkpatch.pl --strict --terse --show-types \
		${ignore:+--ignore "${ignore%,}"} "$p" 2>&1); then
		record pass "checkpatch --strict ${name%%-*}"
	else
		echo "$out" | grep -E 'ERROR|WARNING|CHECK' >&2 || echo "$out" >&2
		record fail "checkpatch --strict ${name%%-*}" "$(echo "$out" | grep -cE 'ERROR|WARNING|CHECK') reports"
	fi
done

files=$(git -C "$LINUX" diff --name-only --diff-filter=AM base..HEAD -- '*.c' '*.h')
for f in $files; do
	if out=$(cd "$LINUX" && scripts/kernel-doc -none "$f" 2>&1) && [ -z "$out" ]; then
		record pass "kernel-doc $f"
	else
		echo "$out" >&2
		record fail "kernel-doc $f" "$(echo "$out" | wc -l) complaints"
	fi
done
exit $fail
