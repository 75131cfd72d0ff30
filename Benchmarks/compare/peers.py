#!/usr/bin/env python3
"""The peers of `skresults labels` in the side-by-side comparison: each counts labels and actions
of a JSONL results file with the same leniency rules and prints {"labels":{…},"actions":{…}}.

Usage: peers.py orjson|duckdb|polars FILE [THREADS]
"""
import json
import sys


def emit(labels, actions):
    print(json.dumps({"labels": labels, "actions": actions}, ensure_ascii=False, sort_keys=True))


def name_of(entry, key):
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get(key), str):
        return entry[key]
    return None


def with_orjson(path):
    import orjson
    labels, actions = {}, {}
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            output = orjson.loads(line).get("output")
            if not isinstance(output, dict):
                continue
            for field, key, counts in (("labels", "label", labels), ("actions", "action", actions)):
                entries = output.get(field)
                if isinstance(entries, list):
                    for entry in entries:
                        name = name_of(entry, key)
                        if name is not None:
                            counts[name] = counts.get(name, 0) + 1
    emit(labels, actions)


def with_duckdb(path, threads):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    result = {}
    for field, key in (("labels", "label"), ("actions", "action")):
        rows = con.execute(f"""
            SELECT name, count(*) FROM (
                SELECT CASE WHEN json_type(e) = 'VARCHAR' THEN e ->> '$' ELSE e ->> '{key}' END AS name
                FROM (SELECT unnest(CAST(json_extract(output, '$.{field}') AS JSON[])) AS e
                      FROM read_json(?, format = 'newline_delimited', columns = {{'output': 'JSON'}}))
                WHERE json_type(e) = 'VARCHAR' OR json_type(e -> '{key}') = 'VARCHAR'
            ) GROUP BY name""", [path]).fetchall()
        result[field] = {name: count for name, count in rows}
    emit(result["labels"], result["actions"])


def with_polars(path):
    import polars as pl
    schema = {"output": pl.Struct({"labels": pl.List(pl.String), "actions": pl.List(pl.String)})}
    df = pl.read_ndjson(path, schema=schema)
    result = {}
    for field, key in (("labels", "label"), ("actions", "action")):
        entries = df.select(pl.col("output").struct.field(field).alias("e")).explode("e").drop_nulls()
        names = entries.select(
            pl.when(pl.col("e").str.starts_with("{"))
            .then(pl.col("e").str.json_path_match(f"$.{key}"))
            .otherwise(pl.col("e")).alias("name")).drop_nulls()
        counts = names.group_by("name").len()
        result[field] = dict(zip(counts["name"].to_list(), counts["len"].to_list()))
    emit(result["labels"], result["actions"])


if __name__ == "__main__":
    tool, path = sys.argv[1], sys.argv[2]
    threads = sys.argv[3] if len(sys.argv) > 3 else "2"
    {"orjson": lambda: with_orjson(path), "duckdb": lambda: with_duckdb(path, threads),
     "polars": lambda: with_polars(path)}[tool]()
