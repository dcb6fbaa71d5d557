#!/bin/busybox sh
# /init of the peer guest (harness/peer.sh, harness/twin.sh): Debian 12's
# stock kernel with its own modules and Debian's rdma-core. Loads virtio-net
# and rxe, puts rxe0 on the link to our guest (eth0, 10.0.9.2) and siw0 on
# the second link (eth1, 10.0.10.2: siw built from Debian's source of this
# kernel by harness/peer-siw.sh, Debian builds none), runs the
# peer half of dmabuf_peer against ours (10.0.9.1) until ours says bye,
# and powers off. Every line of its own starts with "peer: ".

/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
exec </dev/console >/dev/console 2>&1

say() { echo "peer: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
say "init started, $(cat /proc/version)"
say "rdma-core: $(cat /etc/rdma-core-version)"
if /sbin/modprobe -a virtio_pci virtio_net crc32_generic rdma_rxe ib_uverbs rdma_ucm \
	crc32c_generic siw; then
	say "modules loaded: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
else
	say "modules loaded: modprobe failed"
fi
# harness.peer_trace=1 (TWIN_PEER_TRACE=1): the stock rxe's own debug
# messages of its completer and requester (pr_debug, one per state of the
# completer) into the kernel's log, whose last lines dmabuf_peer prints
# when a completion does not come.
if grep -q 'harness.peer_trace=1' /proc/cmdline; then
	export DMABUF_PEER_TRACE="dmesg | grep -E 'qp#|fired' | tail -n 500 | sed 's/^/peer: trace: /'"
	# 6.1 always has the control file in procfs (lib/dynamic_debug.c).
	echo 'file rxe_comp.c +p; file rxe_req.c +p' >/proc/dynamic_debug/control &&
		say "rxe_comp.c and rxe_req.c debug messages on (dynamic debug)"
fi
i=0
until [ -e /sys/class/net/eth1 ] || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
/bin/ip link set lo up
/bin/ip link set eth0 up
/bin/ip addr add 10.0.9.2/24 dev eth0
/bin/ip link set eth1 up
/bin/ip addr add 10.0.10.2/24 dev eth1
/bin/rdma link add rxe0 type rxe netdev eth0 || say "rdma link add rxe0 failed"
/bin/rdma link add siw0 type siw netdev eth1 || say "rdma link add siw0 failed"
p=/sys/class/infiniband/rxe0/ports/1
i=0
until grep -q ACTIVE $p/state 2>/dev/null || [ $i -gt 200 ]; do sleep 0.1; i=$((i + 1)); done
state=$(cat $p/state 2>/dev/null || echo "no device")
say "rxe0: ${state#*: }"
/bin/rdma link show
/bin/dmabuf_peer peer rxe0 10.0.9.2 10.0.9.1
say "dmabuf_peer: exit=$?"
# A packet the peer's link lost never reaches rxe: its receive drops.
/bin/ip -s link show eth0 | tr -s ' ' | while IFS= read -r l; do say "eth0:$l"; done
say "tainted: $(cat /proc/sys/kernel/tainted)"
say "done"
poweroff -f
