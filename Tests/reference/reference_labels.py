#!/usr/bin/env python3
"""An independent implementation of `skresults labels --format json` and its rejects, written
from the specification with Python's json module, for cross-checking the Swift code.

Usage: reference_labels.py [--max-line-bytes N] [--rejects OUT] FILE...
"""
import base64
import json
import sys

MAX_DEPTH = 512


class Reject(Exception):
    pass


def depth_of(text):
    depth = best = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


def no_constants(name):
    raise Reject("invalid JSON")


def names(value, key, counts):
    """Returns how many entries were ignored."""
    if value is None:
        return 0
    if not isinstance(value, list):
        return 1
    ignored = 0
    for entry in value:
        if isinstance(entry, str):
            counts[entry] = counts.get(entry, 0) + 1
        elif isinstance(entry, dict) and isinstance(entry.get(key), str):
            counts[entry[key]] = counts.get(entry[key], 0) + 1
        else:
            ignored += 1
    return ignored


def decode(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Reject("invalid UTF-8")
    if depth_of(text) > MAX_DEPTH:
        raise Reject("too deep")
    if text.lstrip(" \t\r\n")[:1] not in "{[\"-0123456789tfn" or text.strip(" \t\r\n") == "":
        raise Reject("invalid JSON")
    try:
        value = json.loads(text, parse_constant=no_constants)
    except (ValueError, RecursionError):
        raise Reject("invalid JSON")
    # json.loads strips Unicode whitespace beyond JSON's four characters; refuse those.
    stripped = text.strip(" \t\r\n")
    if stripped != text.strip():
        raise Reject("invalid JSON")
    if not isinstance(value, dict):
        raise Reject("not an object")
    if "id" not in value:
        raise Reject("missing id")
    if not isinstance(value["id"], str) or value["id"] == "":
        raise Reject("invalid id")
    output = value.get("output")
    if output is not None and not isinstance(output, dict):
        raise Reject("invalid output")
    return value


def main(argv):
    max_line = 64 << 20
    rejects_path = None
    files = []
    i = 0
    while i < len(argv):
        if argv[i] == "--max-line-bytes":
            max_line = int(argv[i + 1]); i += 2
        elif argv[i] == "--rejects":
            rejects_path = argv[i + 1]; i += 2
        else:
            files.append(argv[i]); i += 1
    s = dict(lines=0, rows=0, blank=0, rejected=0, null_output=0, ignored_entries=0)
    labels, actions, rejects = {}, {}, []
    for path in files or ["-"]:
        data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
        offset = 0
        if data.startswith(b"\xef\xbb\xbf"):
            offset = 3
        number = 0
        while offset < len(data):
            nl = data.find(b"\n", offset)
            end = len(data) if nl < 0 else nl
            line = data[offset:end]
            if nl >= 0 and line.endswith(b"\r"):
                line = line[:-1]
            number += 1
            s["lines"] += 1
            if line.strip(b" \t\r") == b"":
                s["blank"] += 1
            elif len(line) > max_line:
                s["rejected"] += 1
                rejects.append((path, number, offset, line))
            else:
                try:
                    row = decode(line)
                    s["rows"] += 1
                    output = row.get("output")
                    if output is None:
                        s["null_output"] += 1
                    else:
                        s["ignored_entries"] += names(output.get("labels"), "label", labels)
                        s["ignored_entries"] += names(output.get("actions"), "action", actions)
                except Reject:
                    s["rejected"] += 1
                    rejects.append((path, number, offset, line))
            offset = len(data) if nl < 0 else nl + 1
    s["labels"] = labels
    s["actions"] = actions
    print(json.dumps(s, ensure_ascii=False, sort_keys=True))
    if rejects_path:
        with open(rejects_path, "w") as out:
            for path, number, offset, line in rejects:
                record = {"file": path, "line": number, "offset": offset}
                try:
                    record["raw"] = line.decode("utf-8")
                except UnicodeDecodeError:
                    record["raw_base64"] = base64.b64encode(line).decode()
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
