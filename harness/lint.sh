#!/usr/bin/env bash
# Lint the series: checkpatch.pl --strict on every patch (exceptions only
# as written in config/checkpatch-exceptions) and scripts/kernel-doc -none
# on every C file and header the series touches. One result line per check
# is appended to out/results.txt; exits non-zero if any failed.
set -euo pipefail
. "$(dirname "$0")/env.sh"

# checkpatch checks SPDX license tags with scripts/spdxcheck.py run by
# "python", and silently skips the check when there is none (Debian has only
# python3) or passes it when that python lacks ply. Give it the system's
# python3, which has python3-ply.
mkdir -p "$OUT/pybin"
ln -sf /usr/bin/python3 "$OUT/pybin/python"
export PATH=$OUT/pybin:$PATH
res=$OUT/results.txt
fail=0
row() { # status name detail
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
		row pass "checkpatch --strict ${name%%-*}"
	else
		echo "$out" | grep -E 'ERROR|WARNING|CHECK' | head -n 5 >&2
		row fail "checkpatch --strict ${name%%-*}" "$(echo "$out" | grep -cE 'ERROR|WARNING|CHECK') reports"
	fi
done

kdoc() { # file rev: kernel-doc complaints about file as of rev
	git -C "$LINUX" show "$2:$1" >"$OUT/kdoc.tmp" 2>/dev/null || { echo 0; return; }
	(cd "$LINUX" && scripts/kernel-doc -none "$OUT/kdoc.tmp" 2>&1 | wc -l)
}
files=$(git -C "$LINUX" diff --name-only --diff-filter=AM base..HEAD -- '*.c' '*.h')
for f in $files; do
	out=$(cd "$LINUX" && scripts/kernel-doc -none "$f" 2>&1) || true
	now=$(printf '%s' "$out" | grep -c . || true)
	if [ "$now" -eq 0 ]; then
		row pass "kernel-doc $f"
	elif grep -q "^$f " "$TOP/config/kernel-doc-exceptions"; then
		was=$(kdoc "$f" base)
		if [ "$now" -le "$was" ]; then
			row pass "kernel-doc $f" "no new complaint ($now at base too; see config/kernel-doc-exceptions)"
		else
			row fail "kernel-doc $f" "$now complaints, $was at base"
		fi
	else
		echo "$out" | head -n 5 >&2
		row fail "kernel-doc $f" "$now complaints"
	fi
done
rm -f "$OUT/kdoc.tmp"
exit $fail
