#!/usr/bin/env bash
# series.sh write: regenerate series/ from the kernel tree (base..branch).
# series.sh check: fail if series/ differs from what the tree produces.
# The cover letter's subject and blurb live in the branch description,
# which apply.sh reads from series/0000-cover-letter.patch.
set -euo pipefail
. "$(dirname "$0")/env.sh"

mode=${1:-check}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=$(git -C "$LINUX" rev-list --count base..HEAD)
if [ "$n" -gt 0 ]; then
	# The cover letter is "from" whoever runs this: make it the author of
	# the newest patch, whatever the tree's local git identity.
	git -C "$LINUX" -c user.name="$(git -C "$LINUX" log -1 --format=%an HEAD)" \
		-c user.email="$(git -C "$LINUX" log -1 --format=%ae HEAD)" \
		format-patch -q --zero-commit --no-signature \
		--cover-letter --cover-from-description=subject \
		-o "$tmp" base..HEAD
	# The cover letter is dated "now"; date it like the newest patch.
	date=$(git -C "$LINUX" log -1 --format=%aD HEAD)
	sed -i "0,/^Date: /s/^Date: .*/Date: $date/" "$tmp/0000-cover-letter.patch"
	grep -q '\*\*\* SUBJECT HERE \*\*\*' "$tmp/0000-cover-letter.patch" &&
		die "the branch has no description: write the cover letter with" \
			"'git branch --edit-description' in $LINUX"
fi

case "$mode" in
write)
	rm -f "$TOP"/series/*.patch
	mkdir -p "$TOP/series"
	cp "$tmp"/*.patch "$TOP/series/" 2>/dev/null || true
	# What series/ now holds: apply.sh may reset the branch to it.
	git -C "$LINUX" update-ref refs/harness/applied HEAD
	echo "series/: $n patches and a cover letter written from $LINUX"
	;;
check)
	mkdir -p "$OUT"
	if ! diff -ru "$TOP/series" "$tmp" >"$OUT/series.diff" 2>&1; then
		echo "series/ differs from what the tree produces (see out/series.diff);" \
			"run 'make series' after committing in $LINUX" >&2
		exit 1
	fi
	;;
*) die "usage: $0 write|check" ;;
esac
