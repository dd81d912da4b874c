#!/usr/bin/env python3
"""A peer for the S3 access-log import benchmark: DuckDB (PyPI `duckdb`), in memory.

Usage: s3_duckdb_reference.py LOGFILE

What a maintainer who has the raw logs would run instead of importing them: DuckDB's CSV reader
splits each record at spaces, with double quotes around the quoted fields (request line, referrer,
user agent); then the pings are the GETs of an `instance-<id>.log` object in a
`kubeflow-on-aws-usage-tracking-<region>` bucket, the day is the UTC day of the record's time,
and it computes the distinct (instance, day) rows with their ping counts, and the 28-day active
count of every day (the collector's `actives?window=28`). Rows it cannot split are skipped
(`ignore_errors`), as the collector counts them malformed.

Prints one JSON line: pings, (instance, day) rows, days, wall seconds of the parse (reading and
splitting into a table) and of the whole job, and CPU seconds of the whole job (DuckDB's threads
included: they run in this process).
"""
import json
import resource
import sys
import time

import duckdb


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# The fields of a record (S3 User Guide, "Amazon S3 server access log format"), the time split in
# two at its space, then room for the fields AWS adds: null padding fills a shorter record.
NAMES = ["owner", "bucket", "time", "zone", "ip", "requester", "request_id", "operation", "key", "request", "status",
         "error", "bytes", "size", "total_ms", "turnaround_ms", "referrer", "agent"] + [f"field{n}" for n in range(19, 32)]
COLUMNS = ", ".join(f"'{name}': 'VARCHAR'" for name in NAMES)


def main():
    log = sys.argv[1]
    connection = duckdb.connect(":memory:")
    cpu_start, start = cpu(), time.perf_counter()
    connection.execute(f"""
        CREATE TABLE records AS SELECT * FROM read_csv('{log}', delim = ' ', quote = '"', escape = '\\', header = false,
            all_varchar = true, null_padding = true, parallel = false, ignore_errors = true, auto_detect = false,
            columns = {{{COLUMNS}}})
        """)
    parsed = time.perf_counter() - start
    connection.execute("""
        CREATE TABLE pings AS
        SELECT regexp_extract(key, '^instance-(i-(?:[0-9a-f]{8}|[0-9a-f]{17}))\\.log$', 1) AS instance,
               CAST(timezone('UTC', try_strptime(time || ' ' || zone, '[%d/%b/%Y:%H:%M:%S %z]')) AS DATE) AS day
        FROM records
        WHERE bucket LIKE 'kubeflow-on-aws-usage-tracking-%' AND operation = 'REST.GET.OBJECT'
          AND regexp_matches(key, '^instance-i-(?:[0-9a-f]{8}|[0-9a-f]{17})\\.log$')
          AND try_strptime(time || ' ' || zone, '[%d/%b/%Y:%H:%M:%S %z]') IS NOT NULL
        """)
    connection.execute("""
        CREATE TABLE instance_days AS SELECT instance, day, count(*) AS pings FROM pings GROUP BY instance, day
        """)
    # Each (instance, day) row is active on the 28 days from it: distinct instances per day of those.
    actives = connection.execute("""
        SELECT window_day, count(DISTINCT instance) FROM (
            SELECT instance, unnest(generate_series(day, day + INTERVAL 27 DAY, INTERVAL 1 DAY))::DATE AS window_day FROM instance_days
        ) GROUP BY window_day HAVING window_day <= (SELECT max(day) FROM instance_days) ORDER BY window_day
        """).fetchall()
    total = time.perf_counter() - start
    cpu_seconds = cpu() - cpu_start
    pings = connection.execute("SELECT count(*) FROM pings").fetchone()[0]
    instance_days = connection.execute("SELECT count(*) FROM instance_days").fetchone()[0]
    print(json.dumps({"pings": pings, "rows": instance_days, "days": len(actives), "parse_seconds": parsed,
                      "seconds": total, "cpu_seconds": cpu_seconds}))


if __name__ == "__main__":
    main()
