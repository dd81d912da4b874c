#!/usr/bin/env python3
"""Why the regions report is slow: times each query it runs (as written in
Sources/UsageStore/SQLite/SQLiteUsageStore.swift, `regions(from:to:)`) on the report benchmark's
database, with SQLite's plan, and two ways to make its slow one fast: a covering index, and a
per-(region, day) count of new instances (what a rollup would hold). Read-only on the database (the
alternatives run on an in-memory copy of the instances table).

Usage: regions_queries.py DATABASE [--runs 5]
"""
import argparse
import sqlite3
import statistics
import time


def timed(connection, sql, arguments, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        rows = connection.execute(sql, arguments).fetchall()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), rows


def plan(connection, sql, arguments):
    return "; ".join(row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql, arguments))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    connection = sqlite3.connect(f"file:{args.database}?mode=ro", uri=True)
    first, last = connection.execute("SELECT min(day), max(day) FROM daily_rollup WHERE scope = '*' AND active > 0").fetchone()
    new_query = "SELECT coalesce(region, 'unknown') AS scope, count(*) AS n FROM instances WHERE first_day BETWEEN ? AND ? GROUP BY 1"
    queries = [
        ("range", "SELECT min(day), max(day) FROM daily_rollup WHERE scope = ? AND active > 0", ("*",)),
        ("regions present", "SELECT DISTINCT scope FROM daily_rollup WHERE scope != '*' AND active > 0", ()),
        ("pings per region", "SELECT scope, sum(pings) FROM daily_rollup WHERE scope != '*' AND day BETWEEN ? AND ? GROUP BY scope", (first, last)),
        ("new instances per region", new_query, (first, last)),
        ("actives on the last day", "SELECT scope, active FROM daily_rollup WHERE scope != '*' AND day = ?", (last,)),
        ("7/28-day window, one region (×2 per region)", "SELECT coalesce(sum(delta), 0) FROM window_delta WHERE window = ? AND scope = ? AND day < ?", (28, "us-west-2", last)),
    ]
    print(f"| query of the regions report | median ms ({args.runs} runs) | SQLite's plan |")
    print("| --- | ---: | --- |")
    for name, sql, arguments in queries:
        ms, _ = timed(connection, sql, arguments, args.runs)
        print(f"| {name} | {ms:.2f} | {plan(connection, sql, arguments)} |")

    memory = sqlite3.connect(":memory:")
    memory.execute(f"ATTACH 'file:{args.database}?mode=ro' AS source")
    memory.execute("CREATE TABLE instances AS SELECT * FROM source.instances")
    memory.execute("CREATE INDEX instances_by_first_day_region ON instances (first_day, region)")
    covering_ms, covering_rows = timed(memory, new_query, (first, last), args.runs)
    memory.execute("CREATE TABLE new_rollup AS SELECT coalesce(region, 'unknown') AS scope, first_day AS day, count(*) AS n FROM instances GROUP BY 1, 2")
    memory.execute("CREATE INDEX new_rollup_by_scope_day ON new_rollup (scope, day)")
    rollup_sql = "SELECT scope, sum(n) FROM new_rollup WHERE day BETWEEN ? AND ? GROUP BY scope"
    rollup_ms, rollup_rows = timed(memory, rollup_sql, (first, last), args.runs)
    _, original_rows = timed(connection, new_query, (first, last), 1)
    same = sorted(original_rows) == sorted(covering_rows) == sorted(rollup_rows)
    print()
    print("| new instances per region, alternatives (in-memory copy of `instances`) | median ms | same counts |")
    print("| --- | ---: | --- |")
    print(f"| covering index `instances (first_day, region)` | {covering_ms:.2f} | {'yes' if same else 'NO'} |")
    print(f"| a per-(region, first day) count, as a rollup would keep it | {rollup_ms:.2f} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
