#!/usr/bin/env python3
"""What the report rollup triggers cost per ping, measured in SQLite alone (no HTTP, no Swift).

Usage: trigger_cost.py SCHEMA_DB [--rows N] [--batch B] [--runs R]

SCHEMA_DB is a database the collector created (its tables, indexes and triggers are copied). Writes
the collector's two upserts per ping (instances, then instance_days) for N new (instance, day) rows,
B per transaction, with `synchronous=OFF` so that only CPU counts, under three sets of triggers:

- the collector's own triggers;
- the same with each window_delta statement split in two plain INSERTs (start and end of the
  coverage range) instead of one INSERT over a join with `(SELECT 1 AS k UNION ALL SELECT 2)`,
  which makes SQLite open two ephemeral tables per statement, eight per new row;
- no triggers (the cost of the upserts themselves).

Prints µs per new row for each (median of R runs, the three interleaved) and whether the split
triggers leave the same rollups.
"""
import argparse
import os
import re
import statistics
import sqlite3
import tempfile
import time

WINDOW_STATEMENT = re.compile(
    r"INSERT INTO window_delta \(window, scope, day, delta\)\s*"
    r"SELECT (\d+), (.*?), CASE k WHEN 1 THEN s ELSE e \+ 1 END, CASE k WHEN 1 THEN (-?\d+) ELSE (-?\d+) END\s*"
    r"FROM (\(SELECT max.*?AS e\)),\s*\(SELECT 1 AS k UNION ALL SELECT 2\)\s*"
    r"WHERE s <= e\s*ON CONFLICT \(window, scope, day\) DO UPDATE SET delta = delta \+ excluded\.delta;", re.S)


def split_windows(trigger_sql):
    def replace(match):
        window, scope, start_sign, end_sign, bounds = match.groups()
        tail = " WHERE s <= e ON CONFLICT (window, scope, day) DO UPDATE SET delta = delta + excluded.delta;"
        return (f"INSERT INTO window_delta (window, scope, day, delta) SELECT {window}, {scope}, s, {start_sign} FROM {bounds}{tail}\n"
                f"INSERT INTO window_delta (window, scope, day, delta) SELECT {window}, {scope}, e + 1, {end_sign} FROM {bounds}{tail}")
    return WINDOW_STATEMENT.subn(replace, trigger_sql)


def ephemeral_tables(connection, trigger_sql):
    """OpenEphemeral opcodes per statement of a trigger body (NEW/OLD replaced by constants)."""
    body = trigger_sql[trigger_sql.index("BEGIN") + 5:trigger_sql.rindex("END")]
    counts = []
    for statement in (s.strip() for s in body.split(";") if s.strip()):
        for column, value in (("instance_id", "'i-0123456789abcdef0'"), ("first_day", "20786"), ("day", "20786"),
                              ("region", "'us-west-2'"), ("pings", "1")):
            statement = statement.replace(f"NEW.{column}", value).replace(f"OLD.{column}", value)
        counts.append(sum(1 for row in connection.execute("EXPLAIN " + statement) if row[1] == "OpenEphemeral"))
    return counts


def run(path, schema, triggers, rows, batch):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    for statement in schema:
        connection.execute(statement)
    for trigger in triggers:
        connection.executescript(trigger)
    regions = ["us-west-2", "eu-west-1", "us-east-1", "ap-south-1"]
    today = 20786
    start = time.perf_counter()
    written = 0
    for first in range(0, rows // 2, batch):
        connection.execute("BEGIN IMMEDIATE")
        for k in range(first, min(rows // 2, first + batch)):
            instance = "i-0%08x%08x" % ((k * 2654435761) % 2**32, k)
            region = regions[k % len(regions)]
            # Each instance: an earlier day, then today, so windows have a neighbour to look at.
            for day in (today - 3 * (k % 5) - 1, today):
                connection.execute("""
                    INSERT INTO instances (instance_id, first_day, last_day, region) VALUES (?, ?, ?, ?)
                    ON CONFLICT (instance_id) DO UPDATE SET first_day = min(first_day, excluded.first_day),
                        last_day = max(last_day, excluded.last_day),
                        region = CASE WHEN excluded.last_day >= last_day THEN coalesce(excluded.region, region)
                                      ELSE coalesce(region, excluded.region) END""", (instance, day, day, region))
                connection.execute("""
                    INSERT INTO instance_days (instance_id, day, region, first_seen_ms, last_seen_ms, pings)
                    VALUES (?, ?, ?, ?, ?, 1)
                    ON CONFLICT (instance_id, day) DO UPDATE SET pings = pings + 1 RETURNING pings""",
                                   (instance, day, region, day * 86400000, day * 86400000)).fetchall()
                written += 1
        connection.execute("COMMIT")
    seconds = time.perf_counter() - start
    rollups = {table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
               for table in ("daily_rollup", "window_delta", "retention_weeks")}
    connection.close()
    return seconds / written * 1e6, rollups


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("schema_db")
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    source = sqlite3.connect(f"file:{args.schema_db}?mode=ro", uri=True)
    objects = source.execute("SELECT type, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'").fetchall()
    schema = [sql for kind, sql in objects if kind == "table"] + [sql for kind, sql in objects if kind == "index"]
    triggers = [sql for kind, sql in objects if kind == "trigger"]
    split = []
    rewritten = 0
    for trigger in triggers:
        text, count = split_windows(trigger)
        split.append(text)
        rewritten += count
    memory = sqlite3.connect(":memory:")
    for statement in schema:
        memory.execute(statement)
    inserted = next(t for t in triggers if "instance_days_inserted" in t)
    split_inserted = next(t for t in split if "instance_days_inserted" in t)
    print(f"ephemeral tables per statement of the insert trigger: {ephemeral_tables(memory, inserted)}"
          f"; with the window statements split: {ephemeral_tables(memory, split_inserted)}"
          f" ({rewritten} window statements split across the triggers)\n")
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "triggers.sqlite")
        variants = (("the collector's triggers", triggers),
                    ("window statements split (no ephemeral tables)", split),
                    ("no triggers (the two upserts alone)", []))
        timings = {name: [] for name, _ in variants}
        rollups = {}
        for _ in range(args.runs):
            for name, set_of_triggers in variants:
                micros, rollups[name] = run(path, schema, set_of_triggers, args.rows, args.batch)
                timings[name].append(micros)
        results = {name: (statistics.median(timings[name]), rollups[name]) for name, _ in variants}
    print(f"| triggers | µs per new (instance, day) row, median ({args.rows} rows, {args.batch} per transaction, synchronous=OFF) | ratio to the collector's |")
    print("| --- | ---: | ---: |")
    base = results["the collector's triggers"][0]
    for name, (micros, _) in results.items():
        print(f"| {name} | {micros:.0f} | {micros / base:.2f} |")
    names = list(results)
    print(f"\nThe split triggers leave the same rollups as the collector's: {'yes' if results[names[0]][1] == results[names[1]][1] else 'NO'}.")


if __name__ == "__main__":
    main()
