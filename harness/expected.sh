#!/usr/bin/env bash
# make expected: print what the last run (out/) saw, in config/expected's
# format, beside a diff against the committed config/expected, for a person
# to review. It never writes config/expected: results.py judges every run
# against the committed file, and only a person changes it.
set -euo pipefail
. "$(dirname "$0")/env.sh"

[ -f "$OUT/console.log" ] || die "no $OUT/console.log: run 'make check' first"
seen=$(python3 "$TOP/harness/results.py" --seen "$OUT" "$LINUX")
echo "$seen"
echo
echo "==> against config/expected (< committed, > this run; steps, requires and host skips are not shown;" \
	"a pattern skip shows as itself, beside the cases it matched):"
diff <(grep -E '^(guest [^ ]+ )?((kunit|kselftest) |skip [^ ]+ -- )' "$TOP/config/expected" |
	sed 's/ -- .*//' | sort) \
	<(echo "$seen" | sed 's/ -- .*//' | sort) && echo "    the same"
