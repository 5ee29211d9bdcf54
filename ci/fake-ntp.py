#!/usr/bin/env python3
"""A fake SNTP server for ci/test-qemu: answers every request with the host's clock
(stratum 2, echoing the client's transmit time as the origin), and prints one line per
answer. QEMU user networking maps the guest's 10.0.2.2 to the host's loopback, so listening
on 127.0.0.1:123 serves the emulated board.

Usage: ci/fake-ntp.py [ADDRESS:PORT]   (default 127.0.0.1:123)
"""
import socket
import struct
import sys
import time

NTP_TO_UNIX = 2208988800


def ntp_now():
    now = time.time()
    secs = int(now)
    return ((secs + NTP_TO_UNIX) % (1 << 32)) << 32 | int((now - secs) * (1 << 32))


def main():
    host, _, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:123").rpartition(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, int(port)))
    # Port 0: a free port the kernel picks, so parallel tests never share one.
    print(f"fake-ntp: listening on {host}:{sock.getsockname()[1]}", flush=True)
    while True:
        request, client = sock.recvfrom(512)
        if len(request) < 48 or request[0] & 7 != 3:
            continue
        received = ntp_now()
        origin = request[40:48]
        # LI 0, version 4, mode 4 (server); stratum 2; poll 4; precision 2^-20.
        head = struct.pack("!BBbb", 4 << 3 | 4, 2, 4, -20) + bytes(8) + b"LOCL"
        reply = head + struct.pack("!Q", received) + origin + struct.pack("!QQ", received, ntp_now())
        sock.sendto(reply, client)
        print(f"fake-ntp: answered {client[0]}:{client[1]}", flush=True)


if __name__ == "__main__":
    main()
