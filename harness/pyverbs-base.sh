#!/usr/bin/env bash
# The second half of "make pyverbs": the tests of rdma-core's suite that
# config/expected allows to error on the series' kernel ("skip pyverbs:"),
# run on the stock base kernel, built from the tree's "base" tag with the
# same configuration. Passes only if each of them errors or fails there too:
# an error the series brought would pass on the base.
set -euo pipefail
. "$(dirname "$0")/env.sh"

tests=$(sed -n 's/^skip pyverbs: \([^ ]*\) --.*/\1/p' "$TOP/config/expected")
[ -n "$tests" ] || { echo "==> no pyverbs test is allowed to error: nothing to run on the base"; exit 0; }
tree=$CACHE/base-tree kbuild=$CACHE/build-base out=$OUT/base
if [ "$(git -C "$tree" rev-parse HEAD 2>/dev/null)" != "$(git -C "$LINUX" rev-parse base)" ]; then
	step "checking out the stock base in $tree"
	rm -rf "$tree"
	git -C "$LINUX" worktree prune
	git -C "$LINUX" worktree add -q --detach "$tree" base
fi
mkdir -p "$out"
OUT=$out LINUX=$tree KBUILD=$kbuild "$TOP/harness/config.sh" --partial
OUT=$out LINUX=$tree KBUILD=$kbuild "$TOP/harness/build.sh"
cp "$OUT/initramfs.cpio.gz" "$OUT/pyverbs.cpio.gz" "$out/"
OUT=$out KERNEL=$kbuild/arch/x86/boot/bzImage PYVERBS_RUNS=1 \
	PYVERBS_ONLY=$(echo $tests | tr ' ' ,) "$TOP/harness/boot.sh" pyverbs
echo
echo "test allowed to error on the series' kernel            on the stock base"
bad=0
for t in $tests; do
	if grep -qE "^pyverbs: run 1: (ERROR|FAIL): [^ ]+ \($t\)" "$out/console.log"; then
		verdict="errors too"
	else
		verdict="does NOT error: the series brought this error"
		bad=1
	fi
	printf '  %-60s %s\n' "$t" "$verdict"
done
grep -E '^pyverbs: run 1/1 ' "$out/console.log" || { echo "the base run did not finish"; bad=1; }
exit $bad
