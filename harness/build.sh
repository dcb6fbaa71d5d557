#!/usr/bin/env bash
# Build the kernel (bzImage) with ccache in the persistent build tree,
# printing a progress line now and then; the full log goes to out/build.log.
set -euo pipefail
. "$(dirname "$0")/env.sh"

mkdir -p "$OUT" "$CCACHE_DIR"
log=$OUT/build.log
step "building bzImage in $KBUILD (-j$JOBS, log: ${log#"$TOP"/})"
start=$(date +%s)
set +e
make -C "$LINUX" O="$KBUILD" CC="ccache gcc" -j"$JOBS" bzImage "$@" 2>&1 |
	tee "$log" | awk -v start="$start" '
		/^  [A-Z]+ / { n++ }
		n >= next_at {
			printf "    %5d build steps, %4d s\n", n, systime() - start
			fflush(); next_at += 1000
		}'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
	grep -E 'error|Error' "$log" | head -n 30 >&2
	die "kernel build failed (see $log)"
fi
warnings=$(grep -c 'warning:' "$log" || true)
echo "    done in $(($(date +%s) - start)) s, $warnings compiler warnings"
