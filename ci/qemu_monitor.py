"""One command to a QEMU human monitor on a unix socket, its answer back.

Shared by ci/lib-qemu.sh (qemu_diagnose) and ci/bench-boot. As a program:
    python3 ci/qemu_monitor.py SOCKET COMMAND   # prints the answer
"""
import socket
import sys


def ask(path, command, timeout=3):
    """Sends COMMAND on a fresh connection; returns the answer without prompt or echo."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(path)

    def read_to_prompt():
        chunk = b""
        while not chunk.endswith(b"(qemu) "):
            data = s.recv(65536)
            if not data:
                break
            chunk += data
        return chunk

    try:
        read_to_prompt()
        s.sendall(command.encode() + b"\n")
        out = read_to_prompt().decode(errors="replace")
    finally:
        s.close()
    # The monitor echoes the command with terminal escapes on the first line: drop it.
    return out.replace("(qemu) ", "").strip().split("\n", 1)[-1]


if __name__ == "__main__":
    print(ask(sys.argv[1], sys.argv[2]))
