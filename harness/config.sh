#!/usr/bin/env bash
# Configure the kernel: allnoconfig plus every fragment in config/ (or the
# fragments FRAGS names, in order: a later one overrides an earlier one),
# merged with the tree's merge_config.sh; fail naming each requested symbol
# whose last requested value did not land in the final .config. Never reads
# stdin: kbuild's prompts take their defaults.
#   config.sh --partial: the same configuration for a tree that may predate
#   some requested symbols (build-each.sh, at an early patch): no check.
set -euo pipefail
. "$(dirname "$0")/env.sh"

mkdir -p "$KBUILD"
# EXTRA_CONFIG: more fragment files, for work in progress outside config/.
read -r -a frags <<<"${FRAGS:-$(echo "$TOP"/config/*.config)} ${EXTRA_CONFIG:-}"
step "configuring: allnoconfig + ${frags[*]##*/}"
(cd "$LINUX" && scripts/kconfig/merge_config.sh -n -m -O "$KBUILD" "${frags[@]}" \
	>"$KBUILD/merge_config.log" 2>&1 &&
	make -s O="$KBUILD" olddefconfig >>"$KBUILD/merge_config.log" 2>&1) </dev/null ||
	{ cat "$KBUILD/merge_config.log" >&2; die "merge_config failed"; }
[ "${1:-}" != --partial ] || exit 0

bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) want=$line ;;
	"# CONFIG_"*" is not set") want=$line ;;
	*) continue ;;
	esac
	sym=${want#\# }
	sym=${sym%%[= ]*}
	got=$(grep -E "^($sym=|# $sym is not set)" "$KBUILD/.config" || true)
	if [ "$got" != "$want" ] &&
		! { [ -z "$got" ] && [ "$want" = "# $sym is not set" ]; }; then
		echo "  requested: $want   got: ${got:-(absent)}" >&2
		bad=1
	fi
done < <(cat "${frags[@]}" | tac | awk '{ s = $0; sub(/^# /, "", s); sub(/[= ].*/, "", s) }
	s ~ /^CONFIG_/ && !seen[s]++' | tac)
[ $bad -eq 0 ] || die "requested config symbols did not land (see above)"
