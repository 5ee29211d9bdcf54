#!/usr/bin/env python3
"""The first COUNT frames of an MJPEG clip (concatenated JPEGs), for test cameras that must
fit small spaces (a slot's FAT, an initramfs).

Usage: ci/clip-frames.py CLIP COUNT OUT
"""
import sys


def main():
    clip, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    data = open(clip, "rb").read()
    starts = [i for i in range(len(data) - 2) if data[i:i + 3] == b"\xff\xd8\xff"]
    if not starts:
        sys.exit(f"clip-frames: {clip} holds no JPEG")
    with open(out, "wb") as f:
        f.write(data[starts[0]: starts[count]] if len(starts) > count else data[starts[0]:])


if __name__ == "__main__":
    main()
