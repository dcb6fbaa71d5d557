#!/usr/bin/env bash
# make bench's profiler: Debian's perf (linux-perf, the host's own package)
# and the libraries it needs, packed as out/bench/perf.cpio.gz, which
# boot.sh appends to the benchmark guest's initramfs; harness/guest-bench.sh
# then runs the figures that miss their targets under it (cpu-clock
# samples: TCG has no PMU). perf 6.1's record and report work on the 5.10
# guest kernel; kernel symbols come from the guest's /proc/kallsyms.
set -euo pipefail
. "$(dirname "$0")/env.sh"

install_pkgs linux-perf
perf=$(command -v perf) || die "no perf after installing linux-perf"
root=$OUT/perf-root
rm -rf "$root"
mkdir -p "$root/usr/bin"
cp -L "$perf" "$root/usr/bin/perf"
echo "$perf" | elf_libs | while IFS= read -r l; do copy_under "$root" "$l"; done
cpio_pack "$root" "$OUT/perf.cpio.gz"
echo "==> perf.cpio.gz: $(du -h "$OUT/perf.cpio.gz" | cut -f1) ($(dpkg-query -W -f='linux-perf ${Version}' linux-perf))"
