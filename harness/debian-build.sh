#!/usr/bin/env bash
# Build what the series touches with Debian 11's own kernel configuration,
# the one a user who applies the series to Debian's linux-source-5.10 starts
# from: linux-config-5.10 of the same version as the base (pinned, sha256
# checked), olddefconfig on the patched tree, then the kernel directories
# the series touches, as modules where Debian builds them so (the RDMA
# core, rxe, mlx5), with CONFIG_DMABUF_MOVE_NOTIFY off as Debian has it.
# Debian's file leaves siw and EFA out (and udmabuf and the dma-buf heaps);
# siw, EFA and the series' test exporter are turned on as modules, or the
# series' code for them would not be compiled at all. Not a distro build:
# only the series' files are compiled, in a build tree of their own
# ($CACHE/build-debian), with ccache. The other changes to Debian's file
# are about the build, not the code: no debug info (DEBUG_INFO, BTF) and no
# Debian signing keys, which are not in the source package. One result row
# per check in out/results.txt; a compiler warning in a file the series
# touches fails.
set -euo pipefail
. "$(dirname "$0")/env.sh"

PKG=linux-config-5.10
deb=$CACHE/${PKG}_${BASE_VERSION}_amd64.deb
KB=$CACHE/build-debian
log=$OUT/debian-build.log
row() { record "$1" "debian config: $2" "${3:-}"; }

if [ ! -f "$deb" ]; then
	step "fetching $PKG=$BASE_VERSION from bullseye"
	private_apt "$CACHE/apt" deb bullseye
	(cd "$CACHE/apt" && apt-get -qq "${APT_OPTS[@]}" download "$PKG=$BASE_VERSION")
	mv "$CACHE/apt/${PKG}_${BASE_VERSION}_amd64.deb" "$deb"
fi
echo "$DEBIAN_CONFIG_SHA256  $deb" | sha256sum -c --quiet - ||
	{ rm -f "$deb"; die "sha256 mismatch for $deb (removed; rerun to fetch again)"; }

mkdir -p "$KB"
dpkg-deb --fsys-tarfile "$deb" |
	tar -xO ./usr/src/linux-config-5.10/config.amd64_none_amd64.xz | xz -dc >"$KB/.config.debian"
cp "$KB/.config.debian" "$KB/.config"
cd "$LINUX"
scripts/config --file "$KB/.config" \
	--disable DEBUG_INFO --disable DEBUG_INFO_BTF \
	--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
	--disable MODULE_SIG_ALL --set-str MODULE_SIG_KEY "" \
	--module RDMA_SIW --module INFINIBAND_EFA --module DMABUF_TEST_EXPORTER
step "configuring with Debian's config.amd64_none_amd64 (olddefconfig)"
make -s O="$KB" olddefconfig >"$log" 2>&1 </dev/null || { cat "$log" >&2; die "olddefconfig failed"; }

# What Debian's configuration promises, checked in the result.
bad=
for want in "# CONFIG_DMABUF_MOVE_NOTIFY is not set" CONFIG_INFINIBAND=m \
	CONFIG_RDMA_RXE=m CONFIG_RDMA_SIW=m CONFIG_MLX5_INFINIBAND=m \
	CONFIG_INFINIBAND_EFA=m CONFIG_DMABUF_TEST_EXPORTER=m; do
	grep -qx -- "$want" "$KB/.config" || bad="$bad ${want#\# }"
done
if [ -n "$bad" ]; then
	row fail "the configuration is Debian's" "not as expected:$bad"
	exit 1
fi
row pass "the configuration is Debian's" "DMABUF_MOVE_NOTIFY off; RDMA, rxe and mlx5 modules as Debian has them, siw, EFA and the test exporter modules added"

touched=$(git diff --name-only --diff-filter=AM base..HEAD -- '*.c' | grep -v '^tools/' || true)
dirs=$(for f in $touched; do dirname "$f"; done | sort -u)
step "building $(echo $dirs) (log: ${log#"$TOP"/})"
start=$(date +%s)
# An object a past run left would pass for one built now: remove them first.
(cd "$KB" && for f in $touched; do rm -f "${f%.c}.o"; done)
if ! make O="$KB" CC="ccache gcc" -j"$JOBS" KBUILD_MODULES=1 $(for d in $dirs; do echo "$d/"; done) \
	>>"$log" 2>&1 </dev/null; then
	grep -E 'error|\*\*\*' "$log" | head -n 20 >&2
	row fail "the series' files build" "see ${log#"$TOP"/}"
	exit 1
fi
warn=$(grep -E '^[^ ]+\.[ch]:[0-9]+(:[0-9]+)?: warning:' "$log" |
	grep -F -f <(git diff --name-only base..HEAD) || true)
if [ -n "$warn" ]; then
	echo "$warn" | head -n 20 >&2
	row fail "the series' files build" "$(echo "$warn" | wc -l) warnings in files the series touches"
	exit 1
fi
# Every file the series touches is compiled, but for the KUnit suites:
# Debian's configuration has no KUnit.
built=0 kunit=0
for f in $touched; do
	if [ -f "$KB/${f%.c}.o" ]; then
		built=$((built + 1))
	elif [[ $f == *kunit* ]] && ! grep -q '^CONFIG_KUNIT=' "$KB/.config"; then
		kunit=$((kunit + 1))
	else
		row fail "the series' files build" "$f was not compiled"
		exit 1
	fi
done
row pass "the series' files build" "$built files, no warning; $kunit KUnit files left out (no KUnit in Debian's config); $(($(date +%s) - start)) s"
