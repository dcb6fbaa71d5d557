#!/usr/bin/env python3
"""The RoCEv2 packets of a capture (make twin with TWIN_PCAP=1:
out/twin/link.pcap), one line per run of consecutive PSNs:

    TIME SOURCE OPCODE qpN psn FIRST..LAST (COUNT)[ SYNDROME| len N| A]

TIME is seconds since the capture's first packet; SYNDROME is an AETH's ACK,
RNR(timer) or NAK(code); "len" an RDMA READ request's length; "A" the
AckReq bit; "BAD-ICRC" a packet whose invariant CRC is wrong (the receiver
drops it silently). A run ends at a gap in the PSNs, another opcode or
source, or a packet that asks for or carries an acknowledgment.

    python3 harness/pcap_runs.py out/twin/link.pcap
"""
import struct
import sys
import zlib

OPCODES = ['SEND_F', 'SEND_M', 'SEND_L', 'SEND_LI', 'SEND_O', 'SEND_OI',
           'WR_F', 'WR_M', 'WR_L', 'WR_LI', 'WR_O', 'WR_OI', 'RD_REQ',
           'RR_F', 'RR_M', 'RR_L', 'RR_O', 'ACK', 'AT_ACK', 'CSWAP', 'FADD']
AETH_OPCODES = (0x0d, 0x0f, 0x10, 0x11, 0x12)   # READ response first/last/only, ACK, atomic ACK
READ_REQUEST = 0x0c
ACKNOWLEDGE = 0x11
ROCEV2_PORT = 4791


def syndrome(s):
    return {0: 'ACK', 1: 'RNR(%d)' % (s & 31), 3: 'NAK(%d)' % (s & 31)}.get(s >> 5, '?%x' % s)


def icrc(d, ip, udp):
    """The ICRC of the RoCEv2 packet at d[ip:] whose UDP header is at
    d[udp:] (IBA annex A17.8: a CRC-32 over 8 bytes of 0xff for the masked
    LRH, the IP and UDP headers with their variant fields masked, the BTH
    with its resv8a masked, the rest of the headers and the payload), as
    the 4 bytes that end the packet."""
    end = udp + struct.unpack('>H', d[udp + 4:udp + 6])[0]
    iph = bytearray(d[ip:udp])
    iph[1] = 0xff                   # TOS
    iph[8] = 0xff                   # TTL
    iph[10:12] = b'\xff\xff'        # header checksum
    udph = bytearray(d[udp:udp + 8])
    udph[6:8] = b'\xff\xff'         # UDP checksum
    bth = bytearray(d[udp + 8:udp + 20])
    bth[4] = 0xff                   # resv8a
    crc = zlib.crc32(b'\xff' * 8 + bytes(iph + udph + bth) + d[udp + 20:end - 4])
    return struct.pack('<I', crc)


def icrc_ok(d, ip, udp):
    """Whether a RoCEv2 packet's ICRC is right."""
    end = udp + struct.unpack('>H', d[udp + 4:udp + 6])[0]
    return icrc(d, ip, udp) == d[end - 4:end]


def packets(f):
    """(time, source, opcode name, dest QP, PSN, extra, AckReq) per RoCEv2
    packet, the time from the capture's first packet."""
    header = f.read(24)
    endian = '<' if header[:4] == b'\xd4\xc3\xb2\xa1' else '>'
    t0 = None
    while True:
        record = f.read(16)
        if len(record) < 16:
            return
        sec, usec, length, _ = struct.unpack(endian + 'IIII', record)
        d = f.read(length)
        t0 = sec + usec / 1e6 if t0 is None else t0
        if d[12:14] != b'\x08\x00' or d[23] != 17:      # IPv4, UDP
            continue
        udp = 14 + (d[14] & 15) * 4
        if struct.unpack('>H', d[udp + 2:udp + 4])[0] != ROCEV2_PORT:
            continue
        src = '.'.join(str(b) for b in d[26:30])
        bth = d[udp + 8:]
        op = bth[0]
        name = OPCODES[op] if op < len(OPCODES) else 'op%x' % op
        qp = struct.unpack('>I', b'\0' + bth[5:8])[0]
        psn = struct.unpack('>I', b'\0' + bth[9:12])[0]
        extra = ''
        if op in AETH_OPCODES:
            extra = ' ' + syndrome(bth[12])
        elif op == READ_REQUEST:
            extra = ' len %d' % struct.unpack('>QII', bth[12:28])[2]
        if not icrc_ok(d, 14, udp):
            extra += ' BAD-ICRC'
        yield sec + usec / 1e6 - t0, src, name, qp, psn, extra, bool(bth[8] >> 7)


def main(path):
    run = None      # [time, source, name, qp, first, last, count, extra]

    def flush():
        if run:
            print('%9.3f %-15s %-7s qp%-3d psn %d..%d (%d)%s' % tuple(run))

    with open(path, 'rb') as f:
        for t, src, name, qp, psn, extra, ackreq in packets(f):
            if run and run[1:4] == [src, name, qp] and psn == run[5] + 1 and \
                    not extra and not ackreq and not run[7]:
                run[5] = psn
                run[6] += 1
                continue
            flush()
            mark = ' A' if ackreq and name != 'ACK' else ''
            run = [t, src, name, qp, psn, psn, 1, extra + mark]
            if extra or ackreq:
                flush()
                run = None
    flush()


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
