#!/usr/bin/env bash
# Put the kernel tree at base plus series/, applied with git am on a fresh
# branch. If the branch already produces exactly series/, leave it alone so
# that file times, and so the incremental build, are kept. Refuses to reset
# a branch that holds commits not in series/ (work not yet written out with
# "make series"), unless FORCE=1.
set -euo pipefail
. "$(dirname "$0")/env.sh"

mkdir -p "$OUT"
cd "$LINUX"
git rev-parse -q --verify refs/tags/base >/dev/null || die "no base tree: run harness/fetch-base.sh"

if [ "$(git symbolic-ref -q --short HEAD)" = "$BRANCH" ] &&
	"$TOP/harness/series.sh" check >/dev/null 2>&1; then
	echo "==> $LINUX already holds the series ($(git rev-list --count base..HEAD) patches)"
	git update-ref refs/harness/applied HEAD
	exit 0
fi
[ -z "$(git status --porcelain)" ] ||
	die "$LINUX has uncommitted changes: commit them (and 'make series') or stash them"

old=$(git rev-parse -q --verify "refs/heads/$BRANCH" || true)
# Commits on the branch that are not in series/: neither part of what the
# harness last applied or wrote out (refs/harness/applied), nor a patch of
# series/ by patch-id.
unsaved() {
	local known c
	known=$(for p in "$TOP"/series/[0-9][0-9][0-9][0-9]-*.patch; do
		git patch-id --stable <"$p"; done | cut -d' ' -f1)
	for c in $(git rev-list "$old" --not base $(git rev-parse -q --verify refs/harness/applied)); do
		git show "$c" | git patch-id --stable | cut -d' ' -f1 | grep -qxF "$known" ||
			git log -1 --format='    %h %s' "$c"
	done
}
if [ -n "$old" ] && [ "${FORCE:-0}" != 1 ]; then
	lost=$(unsaved)
	[ -z "$lost" ] || die "the branch $BRANCH in $LINUX holds commits that are not in series/:
$lost
  To keep them: 'make series' writes the branch into series/ (then commit series/).
  To drop them: FORCE=1 make apply (the old head stays as refs/harness/previous)."
fi
[ -n "$old" ] && git update-ref refs/harness/previous "$old"

patches=()
for p in "$TOP"/series/[0-9][0-9][0-9][0-9]-*.patch; do
	[ -e "$p" ] || continue
	case "$p" in */0000-cover-letter.patch) continue ;; esac
	patches+=("$p")
done
step "applying ${#patches[@]} patches onto base (branch $BRANCH)"
git checkout -q -B "$BRANCH" base
for p in "${patches[@]}"; do
	if ! git am -q --no-3way "$p" >"$OUT/git-am.log" 2>&1; then
		git am --abort >/dev/null 2>&1 || true
		cat "$OUT/git-am.log" >&2
		die "patch ${p##*/} does not apply"
	fi
done

# The cover letter's subject and blurb become the branch description, so
# that series.sh regenerates the cover letter as written.
cover=$TOP/series/0000-cover-letter.patch
if [ -f "$cover" ]; then
	awk '!body && /^Subject: / { s = $0; sub(/^Subject: \[PATCH[^]]*\] */, "", s); subj = 1; next }
		!body && subj && /^ / { s = s $0; next }
		!body { subj = 0 }
		!body && /^$/ { body = 1; print s; print ""; next }
		body && /^[^ ].* \([0-9]+\):$/ { exit }
		body { print }' "$cover" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$OUT/cover.txt"
	git config "branch.$BRANCH.description" "$(cat "$OUT/cover.txt")"
fi
git update-ref refs/harness/applied HEAD
[ -n "$old" ] && [ "$old" != "$(git rev-parse HEAD)" ] &&
	echo "    (the branch's previous head is kept as refs/harness/previous)"
exit 0
