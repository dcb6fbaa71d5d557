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

# checkpatch.pl, one patch per job, $JOBS at a time (a minute alone on 66
# patches): CP_OUT/NAME gets its report, then "exit N" as its last line.
cp_one() { # patch
	local name=${1##*/} ignore
	ignore=$(awk -v n="$name" '$1 == n { printf "%s,", $2 }' "$TOP/config/checkpatch-exceptions")
	{
		(cd "$LINUX" && scripts/checkpatch.pl --strict --terse --show-types \
			${ignore:+--ignore "${ignore%,}"} "$1" 2>&1)
		echo "exit $?"
	} >"$CP_OUT/$name"
}
export -f cp_one
export CP_OUT=$OUT/checkpatch TOP LINUX
rm -rf "$CP_OUT"
mkdir -p "$CP_OUT"
patches=$(ls "$TOP"/series/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-cover-letter.patch$' || true)
echo "$patches" | xargs -r -d '\n' -n 1 -P "$JOBS" bash -c 'cp_one "$1"' cp_one
for p in $patches; do
	name=${p##*/}
	out=$(cat "$CP_OUT/$name" 2>/dev/null || true)
	if [ "$(echo "$out" | tail -n 1)" = "exit 0" ]; then
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
