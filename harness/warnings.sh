#!/usr/bin/env bash
# Compile every kernel C file the series adds or changes once more with
# W=1 and sparse (C=1), and build the kselftest directories the series
# touches; fail a file if any warning falls on a line the series added or
# changed. The files judged are every C file, header and kselftest source
# the series touches (a warning in a header we changed counts, wherever it
# was included from). Warnings on lines the base tree already had are
# counted and shown, not failed: they are not ours (mlx5's qp.c, for one,
# has W=1 warnings at base). A C file whose object was not compiled in this
# pass (not in the configuration: kbuild answers "Nothing to be done")
# fails. One result line per file in out/results.txt.
#
# The objects are rebuilt with other flags, so the next build.sh rebuilds
# them again; check.sh runs this after its full build, beside the guests.
#
# WARN_ARCH=arm64 (with ARCH, CROSS_COMPILE and KBUILD of a configured
# cross build tree, as harness/arm64-build.sh sets them): the same for the
# kernel files, in that tree, with rows and logs named after the
# architecture; the kselftests are left out (they are built for the guest).
set -euo pipefail
. "$(dirname "$0")/env.sh"

res=${RESULTS:-$OUT/results.txt}
tag=${WARN_ARCH:+$WARN_ARCH }
log=$OUT/warnings${WARN_ARCH:+-$WARN_ARCH}.log
st=tools/testing/selftests
row() { printf '%s\tlint: %s%s\t%s\n' "$1" "$tag" "$2" "${3:-}" >>"$res"; }

cd "$LINUX"
touched=$(git diff --name-only --diff-filter=AM base..HEAD -- '*.c' '*.h')
kfiles=$(echo "$touched" | grep '\.c$' | grep -v '^tools/' || true)
# A file at the top of the selftests (kselftest_harness.h) is built by the
# directories that include it; building the top itself builds every
# selftest and installs headers into the source tree.
sdirs=$(echo "$touched" | grep "^$st/" | xargs -r -n1 dirname | grep -vx "$st" | sort -u)
[ -z "${WARN_ARCH:-}" ] || { touched=$(echo "$touched" | grep -v '^tools/' || true) sdirs=; }
[ -n "$touched" ] || exit 0
objs=$(for f in $kfiles; do echo "${f%.c}.o"; done)

step "${tag}W=1 and sparse on the $(echo "$kfiles" | wc -w) C files the series touches${sdirs:+, and its kselftests}"
command -v sparse >/dev/null || die "sparse is not installed (harness/deps.sh installs it)"
stamp=$KBUILD/.warnings.stamp
touch "$stamp"
# Every object is rebuilt and every file checked, also when the last pass
# left them built with these flags (ccache keeps that cheap).
(cd "$KBUILD" && rm -f $objs)
if ! make O="$KBUILD" CC="ccache ${CROSS_COMPILE:-}gcc" -j"$JOBS" W=1 C=1 $objs >"$log" 2>&1 </dev/null; then
	grep -E 'error|Error' "$log" | head -n 20 >&2
	row fail "W=1 and sparse build" "see ${log#"$TOP"/}"
	exit 1
fi
# A kselftest's warnings name its files relative to its directory: one log
# per directory.
slog() { echo "$OUT/warnings.$(echo "$1" | tr / _).log"; }
# Against the uapi headers of the tree as it is (cheap when they are).
[ -z "$sdirs" ] || make -s O="$KBUILD" headers >>"$log" 2>&1 </dev/null ||
	{ row fail "make headers" "see ${log#"$TOP"/}"; exit 1; }
for d in $sdirs; do
	rm -rf "$KBUILD/warnings/$d"
	mkdir -p "$KBUILD/warnings/$d"
	KSFT_KHDR_INSTALL_DONE=1 CFLAGS="-I$KBUILD/usr/include" \
		make -C "$d" OUTPUT="$KBUILD/warnings/$d" >"$(slog "$d")" 2>&1 </dev/null ||
		{ row fail "kselftest build $d" "see ${log#"$TOP"/}"; exit 1; }
	cat "$(slog "$d")" >>"$log"
done

# added FILE: the line numbers the series added or changed in FILE.
added() {
	git diff -U0 base..HEAD -- "$1" |
		sed -n 's/^@@ -[0-9,]* +\([0-9]*\)\(,\([0-9]*\)\)\? @@.*/\1 \3/p' |
		awk '{ n = ($2 == "") ? 1 : $2; for (i = 0; i < n; i++) print $1 + i }'
}

fail=0
for f in $touched; do
	case $f in
	$st/*/*) flog=$(slog "$(dirname "$f")") name=$(basename "$f") what="compiler warnings" ;;
	tools/*) flog=$log name=$(basename "$f") what="compiler warnings" ;;
	*) flog=$log name=$f what="W=1 and sparse" ;;
	esac
	case $f in
	$st/*) ;;
	tools/*) continue ;;
	*.c) if [ ! "$KBUILD/${f%.c}.o" -nt "$stamp" ]; then
		row fail "W=1 and sparse $f" "not compiled in this pass (not in the configuration?)"
		fail=1
		continue
	fi ;;
	esac
	# gcc: "path:line:col: warning: ..." (the preprocessor leaves out the
	# column); sparse: "path:line:col: warning: ..." or "error:"
	re="^(\.\./)*([^ ]*/)?$name:[0-9]+(:[0-9]+)?: (warning|error):"
	where="on lines the series changed"
	hits=$(grep -E "$re" "$flog" | sed -E 's/^([^:]*):([0-9]+):.*/\2/' | sort -un || true)
	total=$(echo "$hits" | grep -c . || true)
	ours=$(comm -12 <(echo "$hits" | sort) <(added "$f" | sort) | grep -c . || true)
	# A kselftest program the series adds is ours whole: a warning anywhere
	# in its compilation counts, in a system or usr/include header too. Its
	# part of the log starts at the command that names its source.
	case $f in $st/*.c) [ -z "$(git diff --name-only --diff-filter=A base..HEAD -- "$f")" ] || {
		awk -v src=" $name " '/^(gcc|cc) / { on = index($0, src) > 0 } on' "$flog" \
			>"$OUT/warnings.$(echo "$f" | tr / _).log"
		flog=$OUT/warnings.$(echo "$f" | tr / _).log re=": (warning|error):"
		ours=$(grep -cE "$re" "$flog" || true) total=$ours where="in its compilation"
	} ;; esac
	if [ "$ours" -eq 0 ]; then
		row pass "$what $f" \
			"$([ "$total" -eq 0 ] && echo clean || echo "$total at lines the base already had")"
	else
		grep -E "$re" "$flog" | head -n 5 >&2
		row fail "$what $f" "$ours $where (see ${flog#"$TOP"/})"
		fail=1
	fi
done
exit $fail
