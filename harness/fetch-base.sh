#!/usr/bin/env bash
# Fetch Debian's linux-source-5.10 (pinned version and sha256) from the
# bullseye suite, through a private apt configuration that names the same
# mirror as the system's own sources, and unpack it into a git tree whose
# first commit is tagged "base".
set -euo pipefail
. "$(dirname "$0")/env.sh"

deb=$CACHE/${BASE_PKG}_${BASE_VERSION}_all.deb

download() {
	local apt=$CACHE/apt
	step "fetching $BASE_PKG=$BASE_VERSION from bullseye"
	private_apt "$apt" deb bullseye
	(cd "$apt" && apt-get -qq "${APT_OPTS[@]}" download "$BASE_PKG=$BASE_VERSION")
	mv "$apt"/${BASE_PKG}_*.deb "$deb"
}

mkdir -p "$CACHE"
[ -f "$deb" ] || download
echo "$BASE_SHA256  $deb" | sha256sum -c --quiet - ||
	{ rm -f "$deb"; die "sha256 mismatch for $deb (removed; rerun to fetch again)"; }

if git -C "$LINUX" rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
	exit 0
fi
# A LINUX= that exists without the base tag is somebody's tree, never ours
# (ours gets its tag before it is moved into place): refuse, never remove.
[ ! -e "$LINUX" ] ||
	die "$LINUX exists but is not the harness's kernel tree (no 'base' tag): not touching it." \
		"Point LINUX= at the harness's tree or at a path that does not exist yet."

step "unpacking the base tree into $LINUX"
tmp=$LINUX.harness-tmp
rm -rf "$tmp"
mkdir -p "$tmp"
dpkg-deb --fsys-tarfile "$deb" |
	tar -xO --wildcards '*/linux-source-5.10.tar.xz' | tar -xJ -C "$tmp"

step "committing the base tree (git, about a minute)"
cd "$tmp/linux-source-5.10"
git init -q -b "$BRANCH"
git config user.name "${GIT_AUTHOR_NAME:-RDMA dma-buf harness}"
git config user.email "${GIT_AUTHOR_EMAIL:-harness@localhost}"
git config core.autocrlf false
git add -A -f .
git commit -q -m "Linux $BASE_VERSION (Debian $BASE_PKG)"
git tag base
cd /
mv "$tmp/linux-source-5.10" "$LINUX"
rmdir "$tmp"
