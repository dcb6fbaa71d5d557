#!/usr/bin/env python3
"""A scripted RoCEv2 responder on the host, for harness/wire.sh: it starts
the guest (COMMAND, harness/boot.sh) with one end of a socket pair as the
link of QEMU's socket netdev (each Ethernet frame preceded by its length,
4 bytes big-endian; the guest knows our MAC address without ARP), and
plays the responder of tests/guest/resend_peer.c's WRITEs, choosing when
each ACK comes, so that the guest's rxe requester meets what a slow link
makes it meet now and then: an ACK of the last packet of a WQE that it is
resending.

Each round (two WRITEs, posted together: a long one of LONG_PACKETS, a
short one of SHORT_PACKETS) goes:

1. every packet is recorded as first sent (PSN -> opcode, length, RETH
   address) and none is acknowledged, until the requester's transport
   timer makes it resend;
2. at the first resent packet, the ACK of the long WRITE's last PSN, which
   was received, and then nothing is read for HOLD seconds: QEMU's send
   buffer, as small as Linux allows, fills at once, QEMU stops taking
   packets off the NIC, and the requester stops with 64 of them queued
   there (RXE_INFLIGHT_SKBS_PER_QP_HIGH), in the middle of the long
   WRITE, where the ACK reaches it; then silence again, until the
   requester resends anew;
3. where that second resend starts tells: at the long WRITE's last packet
   (the requester kept that last PSN to resume from: "caught"); at the
   short WRITE's first packet with what it first carried (the ACK came
   after the long WRITE was sent again and completed it: "missed", the
   case was not reached); or under some PSN with other data ("shifted":
   the requester resumed past the long WRITE without completing it). Then
   an ACK of the round's last PSN, and the next round.

Every packet resent, in any round, must carry what its PSN first carried
(opcode, payload length, RETH address): a requester that resumes past a WQE
it has not completed sends other data under those PSNs ("shifted"), which a
real responder writes to the wrong place. After such a round the responder
acknowledges whatever asks for it, so that the guest finishes.

    wire_peer.py ROUNDS LOG COMMAND...

prints "wire: ..." lines (also to LOG): one per round, then
"wire: summary rounds=N of=ROUNDS caught=N missed=N shifted=N mismatches=N".
"""
import os
import socket
import struct
import subprocess
import sys
import time

from pcap_runs import icrc

MAC = bytes.fromhex('52540000' '0b02')
IP = bytes([10, 0, 11, 2])
GUEST_IP = bytes([10, 0, 11, 1])
QPN = 0x11                      # tests/guest/resend_peer.c's PEER_QPN
ROCEV2_PORT = 4791
ACKNOWLEDGE = 0x11
WRITE_FIRST, WRITE_LAST, WRITE_ONLY = 0x06, 0x08, 0x0a
RETH_OPCODES = (WRITE_FIRST, WRITE_ONLY, 0x0b)
NAMES = {0x06: 'WRITE_FIRST', 0x07: 'WRITE_MIDDLE', 0x08: 'WRITE_LAST',
         0x0a: 'WRITE_ONLY'}
LIMIT = 600                     # seconds for the whole run
HOLD = 0.1                      # seconds of not reading, after the ACK
LONG_PACKETS = 120              # resend_peer.c's LONG_LEN / 1024, its MTU
SHORT_PACKETS = 4               # SHORT_LEN / 1024


def ip_checksum(h):
    s = sum(struct.unpack('>10H', h))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return struct.pack('>H', ~s & 0xffff)


class Link:
    """The guest's end of the wire: frames in and out."""

    def __init__(self, conn, log):
        self.conn, self.log, self.buf, self.guest_mac = conn, log, b'', None
        self.msn = 0

    def say(self, line):
        print('wire: ' + line, flush=True)
        self.log.write('wire: ' + line + '\n')
        self.log.flush()

    def frame(self, deadline):
        while len(self.buf) < 4 or len(self.buf) < 4 + struct.unpack('>I', self.buf[:4])[0]:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.conn.settimeout(left)
            try:
                more = self.conn.recv(65536)
            except socket.timeout:
                return None
            if not more:
                raise EOFError('the guest closed the link')
            self.buf += more
        n = struct.unpack('>I', self.buf[:4])[0]
        f, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
        return f

    def hold(self):
        """Read nothing for HOLD seconds: the frames the guest sends fill
        QEMU's small send buffer, QEMU stops taking packets off the NIC,
        and once 64 of them wait there the requester pauses
        (RXE_INFLIGHT_SKBS_PER_QP_HIGH), in the middle of the WQE that
        it is resending, while our ACK reaches it."""
        time.sleep(HOLD)

    def send(self, f):
        self.conn.sendall(struct.pack('>I', len(f)) + f)

    def packet(self, deadline):
        """The next RoCEv2 packet of the guest as (opcode, PSN, AckReq,
        payload length, RETH address or None, payload), or None at the
        deadline; other frames are ignored."""
        while True:
            f = self.frame(deadline)
            if f is None:
                return None
            if f[12:14] != b'\x08\x00' or f[23] != 17:
                continue
            udp = 14 + (f[14] & 15) * 4
            if struct.unpack('>H', f[udp + 2:udp + 4])[0] != ROCEV2_PORT:
                continue
            self.guest_mac = f[6:12]
            end = udp + struct.unpack('>H', f[udp + 4:udp + 6])[0]
            bth = f[udp + 8:udp + 20]
            op, pad = bth[0], (bth[1] >> 4) & 3
            psn = struct.unpack('>I', b'\0' + bth[9:12])[0]
            data = udp + 20
            va = None
            if op in RETH_OPCODES:
                va = struct.unpack('>Q', f[data:data + 8])[0]
                data += 16
            payload = f[data:end - 4 - pad]
            return op, psn, bool(bth[8] >> 7), len(payload), va, payload

    def ack(self, psn, qpn):
        """An ACK (unlimited credits) of everything up to PSN."""
        self.msn += 1
        bth = struct.pack('>BBHI', ACKNOWLEDGE, 0, 0xffff, qpn) + struct.pack('>I', psn)
        aeth = struct.pack('>I', (0x1f << 24) | (self.msn & 0xffffff))
        udp = struct.pack('>HHHH', 0xc000, ROCEV2_PORT, 8 + len(bth) + len(aeth) + 4, 0)
        iph = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(udp) + len(bth) + len(aeth) + 4,
                          0, 0x4000, 64, 17, 0, IP, GUEST_IP)
        iph = iph[:10] + ip_checksum(iph) + iph[12:]
        f = self.guest_mac + MAC + b'\x08\x00' + iph + udp + bth + aeth + b'\0' * 4
        f = f[:-4] + icrc(f, 14, 34)
        self.send(f)


def describe(what):
    op, length, va = what
    return '%s %d bytes%s' % (NAMES.get(op, 'opcode 0x%02x' % op), length,
                              '' if va is None else ' at 0x%x' % va)


def run(link, rounds):
    deadline = time.monotonic() + LIMIT
    first = {}                  # PSN -> (opcode, length, address) as first sent
    tally = {'caught': 0, 'missed': 0, 'shifted': 0}
    mismatches = []

    def check(op, psn, length, va):
        was = first.get(psn)
        if was is not None and was != (op, length, va):
            mismatches.append('PSN %d resent as %s, first sent as %s' % (
                psn, describe((op, length, va)), describe(was)))
            return False
        return True

    # The QP number, from the payload of the first WRITE.
    while True:
        p = link.packet(deadline)
        if p is None:
            link.say('FAIL no WRITE of the QP number came')
            return tally, mismatches
        op, psn, ackreq, length, va, payload = p
        if op == WRITE_ONLY and length == 4:
            qpn = struct.unpack('>I', payload)[0]
            link.ack(psn, qpn)
            link.say('QP %d, PSN %d: connected' % (qpn, psn))
            break
    done = psn                  # every PSN up to here is acknowledged
    shifted = False
    for r in range(1, rounds + 1):
        start = done + 1
        long_last = start + LONG_PACKETS - 1
        end = long_last + SHORT_PACKETS
        phase, prev, top, verdict, second = 'collect', None, done, None, None
        while verdict is None or top < end:
            p = link.packet(deadline)
            if p is None:
                link.say('round %d: FAIL nothing more came (phase %s)' % (r, phase))
                return tally, mismatches
            op, psn, ackreq, length, va, _ = p
            if psn < start:
                if ackreq:
                    link.ack(done, qpn)     # a late resend of the last round
                continue
            ok = check(op, psn, length, va)
            if psn > end:
                mismatches.append('PSN %d sent, past the round\'s last, %d' % (psn, end))
                ok = False
            if psn > top:
                # Sent for the first time (a first pass that the
                # requester paused may go on while it resends).
                first[psn] = (op, length, va)
                top = psn
            elif phase == 'collect':
                if top >= long_last:
                    phase = 'resend'
                    link.ack(long_last, qpn)
                    link.hold()
            elif phase == 'resend' and verdict is None and psn <= prev:
                # The second resend: where it starts tells.
                second = psn
                verdict = 'shifted' if not ok else 'caught' if psn == long_last else 'missed'
            if not ok and verdict != 'shifted' and phase == 'resend':
                verdict = 'shifted'
            prev = psn
            if verdict == 'shifted':
                break
        tally[verdict] += 1
        link.say('round %d: %s (long WRITE %d..%d, short WRITE ..%d; second resend from %s)' % (
            r, verdict, start, long_last, end, second))
        if verdict == 'shifted':
            shifted = True
            break
        link.ack(end, qpn)
        done = end
    if shifted:
        # Acknowledge whatever asks, so that the guest finishes.
        while True:
            try:
                p = link.packet(min(deadline, time.monotonic() + 10))
            except EOFError:
                break
            if p is None:
                break
            if p[2]:
                link.ack(p[1], qpn)
    return tally, mismatches


def main(rounds, log, command):
    """Run COMMAND (the guest) with QEMU's end of the link, the other end
    of a socket pair whose send buffer is as small as Linux allows, as
    the descriptor $WIRE_FD; play the responder meanwhile; return the
    command's exit status."""
    tally, mismatches = {'caught': 0, 'missed': 0, 'shifted': 0}, []
    ours, qemu = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    qemu.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1)
    guest = subprocess.Popen(command, pass_fds=[qemu.fileno()],
                             env=dict(os.environ, WIRE_FD=str(qemu.fileno())))
    qemu.close()
    with open(log, 'w') as logf:
        link = Link(ours, logf)
        try:
            tally, mismatches = run(link, rounds)
        except EOFError as e:
            link.say('FAIL %s' % e)
        for m in mismatches[:10]:
            link.say('mismatch: ' + m)
        link.say('summary rounds=%d of=%d caught=%d missed=%d shifted=%d mismatches=%d' % (
            sum(tally.values()), rounds, tally['caught'], tally['missed'], tally['shifted'],
            len(mismatches)))
        # Keep taking the guest's frames till it powers off.
        try:
            while link.frame(time.monotonic() + LIMIT) is not None:
                pass
        except (EOFError, OSError):
            pass
    return guest.wait()


if __name__ == '__main__':
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    sys.exit(main(int(sys.argv[1]), sys.argv[2], sys.argv[3:]))
