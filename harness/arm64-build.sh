#!/usr/bin/env bash
# Cross-build the series for arm64 with Debian's gcc-aarch64-linux-gnu: the
# test kernel's configuration (config/arm64/base.config for QEMU's "virt"
# machine in place of config/base.config, then config/debug.config and
# config/rdma.config), in a build tree of its own ($CACHE/build-arm64),
# then every kernel C file the series touches once more with W=1 and
# sparse, judged as for x86_64 (harness/warnings.sh, rows named "arm64").
# On arm64 DMA coherence is per device (the series' software devices must
# say theirs), so this compiles code that x86_64 builds never see.
#   arm64-build.sh --image: also build the whole kernel Image first (a cold
#   build takes longer than make check can give it; make arm64 does this).
set -euo pipefail
. "$(dirname "$0")/env.sh"

export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
export KBUILD=$CACHE/build-arm64
log=$OUT/build-arm64.log
row() { record "$1" "arm64: $2" "${3:-}"; }
install_pkgs gcc-aarch64-linux-gnu

mkdir -p "$KBUILD"
frags=("$TOP/config/arm64/base.config" "$TOP/config/debug.config" "$TOP/config/rdma.config")
step "arm64: configuring: allnoconfig + arm64/base.config debug.config rdma.config"
(cd "$LINUX" && scripts/kconfig/merge_config.sh -n -m -O "$KBUILD" "${frags[@]}" \
	>"$KBUILD/merge_config.log" 2>&1 &&
	make -s O="$KBUILD" olddefconfig >>"$KBUILD/merge_config.log" 2>&1) </dev/null ||
	{ row fail "configuration" "see $KBUILD/merge_config.log"; exit 1; }
# Every symbol the fragments ask for lands, but for those x86_64 only has.
bad=
while IFS= read -r want; do
	sym=${want%%=*}
	grep -qx -- "$want" "$KBUILD/.config" || bad="$bad ${sym#CONFIG_}"
done < <(grep -h '^CONFIG_' "${frags[@]}")
if [ -n "$bad" ]; then
	row fail "configuration" "did not land:$bad"
	exit 1
fi
row pass "configuration" "every symbol of arm64/base.config, debug.config and rdma.config landed"

if [ "${1:-}" != --image ]; then
	WARN_ARCH=arm64 exec "$TOP/harness/warnings.sh"
fi
step "arm64: building Image in $KBUILD (-j$JOBS, log: ${log#"$TOP"/})"
start=$(date +%s)
if ! make -C "$LINUX" O="$KBUILD" CC="ccache ${CROSS_COMPILE}gcc" -j"$JOBS" Image \
	>"$log" 2>&1 </dev/null; then
	grep -E 'error|Error' "$log" | head -n 20 >&2
	row fail "Image with the whole series" "see ${log#"$TOP"/}"
	exit 1
fi
row pass "Image with the whole series" \
	"$(grep -c 'warning:' "$log" || true) compiler warnings, $(($(date +%s) - start)) s"
WARN_ARCH=arm64 "$TOP/harness/warnings.sh"
