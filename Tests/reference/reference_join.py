#!/usr/bin/env python3
"""An independent join of a results file with its source, for checking `skresults process --join`.

Usage: reference_join.py RESULTS SOURCE JOINED_OUT  (prints the join counts as JSON)

Rows are read with Python's json module. A result row is accepted when it is an object with a
non-empty string id (the rules that matter for these generated files); the source is JSONL keyed by
`id`, the later of two equal keys winning. Lines are copied verbatim, as skresults does.
"""
import json
import sys


def lines(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for line in data.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.strip(b" \t\r\n"):
            yield line


def main():
    results, source, out_path = sys.argv[1:4]
    index = {}
    duplicate_keys = 0
    for line in lines(source):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            if record["id"] in index:
                duplicate_keys += 1
            index[record["id"]] = line
    matched = unmatched = duplicates = 0
    seen = set()
    used = set()
    with open(out_path, "wb") as out:
        for line in lines(results):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            rid = row.get("id") if isinstance(row, dict) else None
            if not isinstance(rid, str) or not rid:
                continue
            raw_id = json.dumps(rid, ensure_ascii=False)
            # skresults copies the id as written; these files write ids without escapes.
            src = index.get(rid)
            out.write(b'{"id":' + raw_id.encode() + b',"result":' + line + b',"source":' + (src if src is not None else b"null") + b"}\n")
            if rid in seen:
                duplicates += 1
            seen.add(rid)
            if src is not None:
                matched += 1
                used.add(rid)
            else:
                unmatched += 1
    print(json.dumps({"matched": matched, "unmatched_results": unmatched,
                      "unmatched_sources": len(index) - len(used),
                      "duplicate_source_keys": duplicate_keys, "duplicate_result_ids": duplicates}))


if __name__ == "__main__":
    main()
