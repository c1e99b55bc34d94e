#!/usr/bin/env python3
"""Writes capture.pcap (the pcap case of the input tests) from hand-built
frames: no captured traffic. Run from this directory; capture.expect holds
the observations these frames must give, written by hand."""
import struct

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip4(a):
    return bytes(int(x) for x in a.split('.'))

def ipv4(src, dst, proto, payload, frag=0):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1, frag, 64, proto, 0,
                    ip4(src), ip4(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload

def ipv6(src, dst, nh, payload):
    return struct.pack('!IHBB16s16s', 6 << 28, len(payload), nh, 64, src, dst) + payload

def eth(ethertype, payload, vlan=None):
    h = b'\x02\x00\x00\x00\x00\x01' + b'\x02\x00\x00\x00\x00\x02'
    if vlan is not None:
        h += struct.pack('!HH', 0x8100, vlan)
    return h + struct.pack('!H', ethertype) + payload

def tcp(sport, dport, payload=b'', flags=0x02):
    return struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0) + payload

def udp(sport, dport, payload):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload

def name(n):
    return b''.join(bytes([len(l)]) + l.encode() for l in n.split('.')) + b'\0'

def dns_query(qid, questions):
    return struct.pack('!HHHHHH', qid, 0x0100, len(questions), 0, 0, 0) + b''.join(questions)

def client_hello(sni):
    host = sni.encode()
    sn = struct.pack('!HBH', len(host) + 3, 0, len(host)) + host
    exts = struct.pack('!HH', 0x000a, 4) + b'\x00\x02\x00\x1d'          # supported_groups
    exts += struct.pack('!HH', 0, len(sn)) + sn                          # server_name
    body = b'\x03\x03' + bytes(32) + b'\x00' + b'\x00\x02\x13\x01' + b'\x01\x00'
    body += struct.pack('!H', len(exts)) + exts
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs

V6A = bytes.fromhex('20010db8000000000000000000000010')
V6B = bytes.fromhex('20010db8000000000000000000000053')

# question 2 is "c2" followed by a pointer to "example.net" inside question 1
q1 = name('evil.example.net') + b'\x00\x01\x00\x01'
q2 = b'\x02c2' + struct.pack('!H', 0xc000 | (12 + 5)) + b'\x00\x01\x00\x01'
loop = b'\x03abc' + struct.pack('!H', 0xc000 | 12) + b'\x00\x01\x00\x01'   # points at itself

frames = [
    eth(0x0800, ipv4('192.0.2.10', '198.51.100.7', 6, tcp(40000, 443))),
    eth(0x0800, ipv4('192.0.2.10', '192.0.2.53', 17,
                     udp(53011, 53, dns_query(0x1234, [name('WWW.Example.com') + b'\x00\x01\x00\x01']))),
        vlan=100),
    eth(0x86dd, ipv6(V6A, V6B, 17, udp(40001, 53, dns_query(7, [q1, q2])))),
    eth(0x0800, ipv4('192.0.2.10', '198.51.100.8', 6, tcp(40002, 443, client_hello('C2.Example.org'), 0x18))),
    eth(0x0800, ipv4('192.0.2.11', '192.0.2.53', 17, udp(5000, 53, dns_query(9, [loop])))),
    None,  # truncated: 10 bytes of a 60-byte frame
    eth(0x0806, bytes(28)),  # ARP
    eth(0x0800, ipv4('192.0.2.12', '198.51.100.9', 17, bytes(16), frag=100)),
]

with open('capture.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        ts = 1795230000 + i
        if fr is None:
            f.write(struct.pack('<IIII', ts, 500000, 10, 60) + bytes(10))
        else:
            f.write(struct.pack('<IIII', ts, 500000, len(fr), len(fr)) + fr)
