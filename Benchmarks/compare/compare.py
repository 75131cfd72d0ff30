#!/usr/bin/env python3
"""Side-by-side comparison of `skresults labels` with the tools a user would otherwise pick.

Runs every tool on the same generated file, interleaved round by round, checks that every tool
reports the same counts as skresults (a disagreeing peer fails the run), and rewrites the
comparison section of BENCHMARKS.md and Benchmarks/results/throughput.svg.

Also times the fan-out (`process` with the archive, and with archive + join when --source is
given) against `zstd -3` alone, and `labels` over a .zst copy against `zstd -dc` alone.

Also times `labels` against the simdjson program on files of other shapes (shapes.py).

Usage: compare.py --file FILE [--source FILE] [--runs N] [--slow-runs N] [--archive-runs N]
                  [--threads N] [--only a,b] [--shape-bytes N]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, ".build", "release")
HERE = os.path.dirname(os.path.abspath(__file__))


def tools(path, threads, simdjson_bin):
    py = sys.executable
    return [
        # name, command, slow?, what it reports
        ("skresults labels", [f"{BIN}/skresults", "labels", "-q", "--format", "json", "--threads", str(threads), path], False, "counts"),
        ("simdjson On-Demand (C++, streaming)", [simdjson_bin, path], False, "counts"),
        ("DuckDB read_json + unnest + group by", [py, f"{HERE}/peers.py", "duckdb", path, str(threads)], False, "counts"),
        ("wc -l (read + split floor)", ["wc", "-l", path], False, "lines"),
        ("Python + orjson", [py, f"{HERE}/peers.py", "orjson", path], True, "counts"),
        ("polars read_ndjson", [py, f"{HERE}/peers.py", "polars", path], True, "counts"),
        ("Swift Codable + JSONDecoder", [f"{BIN}/skresults-bench", "codable", path], True, "counts"),
        ("jq", ["jq", "-n", "-c", "-f", f"{HERE}/labels.jq", path], True, "counts"),
    ]


def run_once(command):
    """Returns (wall seconds, peak RSS MiB, stdout) of one run. The RSS comes from /usr/bin/time,
    whose own tiny process is what the child forks from (a child forked from Python would report
    Python's RSS as its peak)."""
    import tempfile
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as rss_file:
        start = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + command,
                                stdout=subprocess.PIPE, stderr=err)
        out, _ = proc.communicate()
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"FAILED: {' '.join(command)} exited {proc.returncode}: {err.read().decode()[:500]}")
        peak = int(open(rss_file.name).read().strip().splitlines()[-1]) / 1024
    return wall, peak, out


def svg_chart(rows, path):
    width, bar_h, gap, left = 760, 24, 8, 300
    height = 40 + len(rows) * (bar_h + gap)
    top = max(r["mbps"] for r in rows)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="13">',
             f'<text x="10" y="20" font-weight="bold">Throughput counting labels (MB/s, higher is better)</text>']
    for i, r in enumerate(rows):
        y = 35 + i * (bar_h + gap)
        w = max(1, (width - left - 80) * r["mbps"] / top)
        color = "#d9480f" if r["name"].startswith("skresults") else "#4263eb"
        parts.append(f'<text x="10" y="{y + 16}">{r["name"]}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 16}">{r["mbps"]:.0f}</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def interleaved(commands, runs, fresh_outputs=()):
    """Runs each (name, command) `runs` times, round by round. Returns walls, peak RSS per name.
    Paths in `fresh_outputs` are removed (untimed) before every run, so that each tool writes new
    files instead of replacing the last run's."""
    walls = {name: [] for name, _ in commands}
    rss = {name: 0.0 for name, _ in commands}
    for r in range(runs):
        for name, command in commands:
            for output in fresh_outputs:
                if os.path.exists(output):
                    os.unlink(output)
            wall, peak, _ = run_once(command)
            walls[name].append(wall)
            rss[name] = max(rss[name], peak)
            print(f"round {r + 1}: {name}: {wall:.3f} s", file=sys.stderr)
    return walls, rss


def ratio_table(commands, walls, rss, size, floor_name, floor_label):
    base = statistics.median(walls[floor_name])
    lines = [f"| what | wall time, median (min–max) | MB/s | time ÷ {floor_label} | peak RSS |",
             "|---|---|---|---|---|"]
    for name, _ in commands:
        m = statistics.median(walls[name])
        lines.append(f"| {name} | {m:.2f} s ({min(walls[name]):.2f}–{max(walls[name]):.2f}) | {size / m / 1e6:.0f} | "
                     f"{m / base:.2f}× | {rss[name]:.0f} MiB |")
    return lines


def fanout_comparison(path, source, size, runs, threads):
    """zstd -3 on its own against `skresults process` with the archive, and with archive + join."""
    import tempfile
    work = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(path)))
    zst, arch, joined = (os.path.join(work, n) for n in ("zstd.zst", "archive.zst", "joined.jsonl"))
    sk = [f"{BIN}/skresults", "process", "-q", "--format", "json", "--threads", str(threads)]
    floor = "zstd -3 -T%d (compression alone, to a file)" % threads
    commands = [
        (floor, ["zstd", "-q", "-3", f"-T{threads}", "-f", path, "-o", zst]),
        ("skresults process: labels + archive (level 3)", sk + ["--archive", arch, path]),
    ]
    if source:
        commands.append(("skresults process: labels + join + archive (level 3)",
                         sk + ["--archive", arch, "--join", source, "--joined", joined, path]))
    # Replacing a file frees its blocks, which costs the replacing tool: 0.2 s for the 1.5 GB
    # joined file on an ext4 mounted with `discard`. Every tool writes new files instead.
    walls, rss = interleaved(commands, runs, fresh_outputs=(zst, arch, joined))
    if subprocess.run(["sh", "-c", f"zstd -q -dc {arch} | cmp -s - {path}"]).returncode != 0:
        raise SystemExit("the archive does not decompress to the input")
    joined_note = ""
    if source:
        with open(joined, "rb") as f:
            joined_lines = sum(1 for _ in f)
        rows = json.loads(subprocess.run(sk[:-2] + [path], capture_output=True, check=True).stdout)["rows"]
        if joined_lines != rows:
            raise SystemExit(f"the joined file has {joined_lines} lines for {rows} rows")
        joined_note = (f" The join reads a {os.path.getsize(source) / 1e6:.0f} MB source and writes "
                       f"{os.path.getsize(joined) / 1e9:.2f} GB (one line per row).")
    for name in (zst, arch, joined):
        if os.path.exists(name):
            os.unlink(name)
    os.rmdir(work)
    return [f"Fan-out against compression alone ({runs} runs each, interleaved; every output written to a "
            "new file beside the input, the previous run's removed untimed). The archive decompresses with `zstd -dc` to the input byte for byte."
            + joined_note, "", *ratio_table(commands, walls, rss, size, floor, "zstd alone")]


def compressed_comparison(path, size, runs, threads):
    """`zstd -dc` on its own against `skresults labels` reading the same .zst file."""
    zst = path + ".zst"
    if not os.path.exists(zst):
        subprocess.run(["zstd", "-q", "-3", f"-T{threads}", path, "-o", zst], check=True)
    floor = "zstd -dc FILE.zst > /dev/null (decompression alone)"
    commands = [
        (floor, ["sh", "-c", f"zstd -q -dc {zst} > /dev/null"]),
        ("skresults labels FILE.zst", [f"{BIN}/skresults", "labels", "-q", "--format", "json",
                                       "--threads", str(threads), zst]),
    ]
    walls, rss = interleaved(commands, runs)
    return [f"Compressed input ({runs} runs each, interleaved): the same file compressed by `zstd -3` "
            f"({os.path.getsize(zst) / 1e6:.0f} MB, one frame); MB/s counts decompressed bytes.", "",
            *ratio_table(commands, walls, rss, size, floor, "zstd -dc alone")]


def shapes_comparison(size, runs, threads, simdjson_bin):
    """skresults against the simdjson program on files of other shapes (shapes.py), so that a
    kind of row that is slow does not hide behind the generated file's mix."""
    lines = [f"Other shapes of file ({size / 2**20:.0f} MiB each, made by `Benchmarks/compare/shapes.py`; "
             f"{runs} runs each, interleaved; the counts agreed on every file).", "",
             "| shape | skresults labels, median | simdjson On-Demand, median | skresults ÷ simdjson | skresults peak RSS |",
             "|---|---|---|---|---|"]
    for kind in ("text", "escaped", "ascii", "many", "tiny", "numbers"):
        path = os.path.join(ROOT, "bench-data", f"shape-{kind}-{size}.jsonl")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(HERE, "shapes.py"), kind, str(size), path], check=True)
        ours = [f"{BIN}/skresults", "labels", "-q", "--format", "json", "--threads", str(threads), path]
        commands = [("skresults", ours), ("simdjson", [simdjson_bin, path])]
        walls, rss = interleaved(commands, runs)
        a = json.loads(subprocess.run(ours, capture_output=True, check=True).stdout)
        b = json.loads(subprocess.run([simdjson_bin, path], capture_output=True, check=True).stdout)
        if a["labels"] != b["labels"] or a["actions"] != b["actions"]:
            raise SystemExit(f"simdjson disagrees with skresults on {path}")
        m, n = statistics.median(walls["skresults"]), statistics.median(walls["simdjson"])
        lines.append(f"| {kind} | {m:.3f} s | {n:.3f} s | {m / n:.2f}× | {rss['skresults']:.0f} MiB |")
    return lines


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Linux {platform.release()}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--slow-runs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--simdjson-bin", required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("--archive-runs", type=int, default=3)
    ap.add_argument("--source", default="", help="original-content file for the join (optional)")
    ap.add_argument("--shape-bytes", type=int, default=256 << 20, help="size of each shapes.py file; 0 skips them")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    args = ap.parse_args()
    size = os.path.getsize(args.file)
    selected = tools(args.file, args.threads, args.simdjson_bin)
    if args.only:
        keep = args.only.split(",")
        selected = [t for t in selected if any(k in t[0] for k in keep) or t[0].startswith("skresults")]

    walls = {t[0]: [] for t in selected}
    rss = {t[0]: 0.0 for t in selected}
    outputs = {}
    rounds = max(args.runs, args.slow_runs)
    for r in range(rounds):
        for name, command, slow, kind in selected:
            if r >= (args.slow_runs if slow else args.runs):
                continue
            wall, peak, out = run_once(command)
            walls[name].append(wall)
            rss[name] = max(rss[name], peak)
            outputs[name] = out
            print(f"round {r + 1}: {name}: {wall:.3f} s", file=sys.stderr)

    ours = json.loads(outputs["skresults labels"])
    failures = []
    for name, command, slow, kind in selected:
        if kind == "lines":
            lines = int(outputs[name].split()[0])
            if lines != ours["lines"]:
                failures.append(f"{name}: {lines} lines, skresults {ours['lines']}")
            continue
        theirs = json.loads(outputs[name])
        for key in ("labels", "actions"):
            if theirs[key] != ours[key]:
                failures.append(f"{name}: {key} differ from skresults")
    if failures:
        raise SystemExit("peers disagree:\n" + "\n".join(failures))

    rows = []
    base = statistics.median(walls["skresults labels"])
    for name, command, slow, kind in selected:
        median = statistics.median(walls[name])
        rows.append(dict(name=name, wall=median, lo=min(walls[name]), hi=max(walls[name]), runs=len(walls[name]),
                         mbps=size / median / 1e6, ratio=median / base, rss=rss[name]))
    rows.sort(key=lambda r: r["wall"])

    os.makedirs(os.path.join(ROOT, "Benchmarks", "results"), exist_ok=True)
    svg_chart(rows, os.path.join(ROOT, "Benchmarks", "results", "throughput.svg"))
    with open(os.path.join(ROOT, "Benchmarks", "results", "compare.json"), "w") as f:
        json.dump(dict(file_bytes=size, rows=ours["rows"], machine=machine(), results=rows), f, indent=2)

    table = [f"Counting labels and actions over a generated {size / 2**30:.2f} GiB results file "
             f"({ours['lines']:,} lines), {args.threads} threads where a tool takes them. "
             f"Every peer reported the same counts as skresults.",
             "", f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}.", "",
             "| tool | wall time, median (min–max) | runs | MB/s | time ÷ skresults | peak RSS |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        table.append(f"| {r['name']} | {r['wall']:.2f} s ({r['lo']:.2f}–{r['hi']:.2f}) | {r['runs']} | "
                     f"{r['mbps']:.0f} | {r['ratio']:.2f}× | {r['rss']:.0f} MiB |")
    table += ["", "![throughput per tool](Benchmarks/results/throughput.svg)"]
    if args.archive_runs > 0:
        table += ["", *fanout_comparison(args.file, args.source, size, args.archive_runs, args.threads)]
        table += ["", *compressed_comparison(args.file, size, args.archive_runs, args.threads)]
    if args.shape_bytes > 0:
        table += ["", *shapes_comparison(args.shape_bytes, args.runs, args.threads, args.simdjson_bin)]
    section = "\n".join(table)

    begin, end = "<!-- compare:begin -->", "<!-- compare:end -->"
    text = open(args.out).read() if os.path.exists(args.out) else f"# Benchmarks\n\n{begin}\n{end}\n"
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(args.out, "w") as f:
        f.write(head + begin + "\n" + section + "\n" + end + tail)
    print(section)


if __name__ == "__main__":
    main()
