#!/usr/bin/env python3
"""Counts the guest instructions a qemu-user run executed, from its log of
`-d in_asm,exec,nochain`: each translated block's instruction count (in_asm) times the
number of times it ran (one "Trace" line per execution; nochain makes every execution
pass through the logging). Prints the total. Usage: count-insns.py LOG (a file or FIFO)."""

import sys


def count(lines):
    sizes = {}
    runs = {}
    block = None
    fresh = False
    for line in lines:
        if line.startswith("Trace"):
            # Trace N: HOST [FLAGS/GUEST_PC/...]
            pc = int(line.split("[", 1)[1].split("/")[1], 16)
            runs[pc] = runs.get(pc, 0) + 1
        elif line.startswith("IN:"):
            fresh = True
        elif line.startswith("0x") and line[10:12] == ": ":
            if fresh:
                block = int(line[:10], 16)
                sizes[block] = 0
                fresh = False
            sizes[block] += 1
    unknown = sum(n for pc, n in runs.items() if pc not in sizes)
    if unknown:
        raise SystemExit(f"count-insns: {unknown} block runs without a translation in the log")
    return sum(n * sizes[pc] for pc, n in runs.items())


if __name__ == "__main__":
    with open(sys.argv[1], errors="replace") as log:
        print(count(log))
