#!/usr/bin/env python3
"""Results files of other shapes than the generator's, for checking that no shape of row is
slow: each stresses one part of the decoder or the sinks.

  text     long fields of mixed Latin, CJK and emoji text, written as raw UTF-8 (UTF-8 validation)
  escaped  the same rows as Python's json.dumps writes them by default: every non-ASCII
           character as a \\uXXXX escape, spaces after separators (escape validation)
  ascii    long plain-ASCII fields (the eight-byte string scan)
  many     10–40 scored labels per row from 300 names that differ only in their last bytes,
           with spaces after separators (label counting and entry objects)
  tiny     very short rows, a third with a null output (per-row costs)
  numbers  a 64-number embedding, integers and nested metadata in every row (number validation)

Usage: shapes.py KIND SIZE_BYTES OUT   (deterministic: the same arguments give the same bytes)
"""
import json
import random
import sys

SHAPES = ("text", "escaped", "ascii", "many", "tiny", "numbers")


def rows(kind, r):
    labels = [f"policy.l{i}" for i in range(300)]
    script = "商品説明この製品は高品質です日本語のテキスト예시텍스트한국어ñáéíóúü😀🚀"
    words = "the quick brown fox jumps over lazy dog wireless earbuds charger cable".split()

    def text(n, non_ascii):
        out, length = [], 0
        while length < n:
            if non_ascii and r.random() < 0.5:
                w = "".join(r.choice(script) for _ in range(r.randint(2, 8)))
            else:
                w = r.choice(words)
            out.append(w)
            length += len(w) + 1
        return " ".join(out)

    i = 0
    while True:
        i += 1
        if kind in ("text", "escaped"):
            row = {"id": f"product_{i}",
                   "output": {"actions": [],
                              "labels": [{"label": r.choice(labels), "score": round(r.random(), 3)}
                                         for _ in range(r.randint(0, 3))],
                              "fields": {"title": text(60, True), "description": text(r.randint(500, 3000), True)}},
                   "metadata": {"source": "import"}, "url": f"https://app.safetykit.com/review/product_{i}"}
            if kind == "text":
                yield json.dumps(row, ensure_ascii=False, separators=(",", ":"))
            else:
                yield json.dumps(row)
        elif kind == "ascii":
            row = {"id": f"product_{i}",
                   "output": {"actions": [], "labels": [{"label": r.choice(labels)} for _ in range(r.randint(0, 3))],
                              "fields": {"description": text(r.randint(1000, 6000), False)}},
                   "url": f"https://app.safetykit.com/review/product_{i}"}
            yield json.dumps(row, separators=(",", ":"))
        elif kind == "many":
            row = {"id": f"user_{i}",
                   "output": {"actions": [{"action": "manual_review", "queue": "q"}],
                              "labels": [{"label": r.choice(labels), "score": round(r.random(), 4)}
                                         for _ in range(r.randint(10, 40))], "fields": {}},
                   "metadata": None}
            yield json.dumps(row, separators=(", ", ": "))
        elif kind == "numbers":
            row = {"id": f"item_{i}",
                   "output": {"actions": [], "labels": [{"label": "policy.x", "score": r.random()}],
                              "fields": {"embedding": [round(r.uniform(-1, 1), 6) for _ in range(64)],
                                         "count": r.randint(0, 10**9), "ok": True, "tags": None}},
                   "metadata": {"a": {"b": {"c": [1, 2, {"d": []}]}}}}
            yield json.dumps(row, separators=(",", ":"))
        else:
            output = None if r.random() < 0.3 else {"labels": [r.choice(labels)] if r.random() < 0.5 else []}
            yield json.dumps({"id": f"u{i}", "output": output}, separators=(",", ":"))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in SHAPES:
        raise SystemExit(__doc__)
    kind, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    written = 0
    with open(out + ".part", "w", encoding="utf-8") as f:
        for line in rows(kind, random.Random(7)):
            if written >= size:
                break
            f.write(line + "\n")
            written += len(line.encode()) + 1
    import os
    os.replace(out + ".part", out)


if __name__ == "__main__":
    main()
