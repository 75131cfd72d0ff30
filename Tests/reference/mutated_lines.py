#!/usr/bin/env python3
"""Writes COUNT lines made by mutating lines of the samples (byte changes, insertions, deletions
drawn from JSON's structural bytes, escapes, digits, literals and valid and invalid UTF-8), for
checking the decoder against reference_labels.py on input nobody wrote by hand.

Usage: mutated_lines.py SEED COUNT OUT   (the same seed gives the same file)
"""
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "samples")
ALPHABET = (b'{}[]":,\\ \t0123456789-+.eEtrufalsn\x00\x1f\x7f'
            b'\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80\xc0\xafabcxyz/u')


def main():
    seed, count, out_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    lines = []
    for name in ("edge-cases.jsonl", "results.jsonl"):
        with open(os.path.join(SAMPLES, name), "rb") as f:
            lines += [l for l in f.read().split(b"\n") if l and len(l) < 5000]
    out = []
    for _ in range(count):
        line = bytearray(rng.choice(lines))
        for _ in range(rng.randint(1, 4)):
            op, pos = rng.random(), rng.randint(0, len(line))
            if op < 0.4 and line:
                line[min(pos, len(line) - 1)] = rng.choice(ALPHABET)
            elif op < 0.7:
                line[pos:pos] = bytes([rng.choice(ALPHABET)])
            elif line:
                del line[min(pos, len(line) - 1)]
        out.append(bytes(line).replace(b"\n", b" "))
    with open(out_path, "wb") as f:
        f.write(b"\n".join(out) + b"\n")


if __name__ == "__main__":
    main()
