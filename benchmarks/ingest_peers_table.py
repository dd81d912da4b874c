#!/usr/bin/env python3
"""The ingest goals of the performance issue, from the runs benchmarks/ingest.sh saved: the
collector's durable POST against PostgreSQL's own durable single-row upsert (pgbench) and against
the bare Hummingbird route, per number of connections; medians, and the ratio of the medians.

Usage: ingest_peers_table.py RESULTS_DIR CONNECTIONS...
"""
import glob
import re
import statistics
import sys


def wrk_rps(path):
    return float(re.search(r"Requests/sec:\s+([\d.]+)", open(path).read()).group(1))


def pgbench_tps(path):
    return float(re.search(r"^tps = ([\d.]+)", open(path).read(), re.M).group(1))


def median(pattern, read):
    values = [read(path) for path in sorted(glob.glob(pattern))]
    return statistics.median(values) if values else float("nan")


def main():
    results, connections = sys.argv[1], sys.argv[2:]
    print("| connections | collector `POST /v1/pings`, req/s | PostgreSQL durable upsert (pgbench), tps | ratio (goal ≥ 1.0) | bare route, req/s | ratio (goal ≥ 0.8) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in connections:
        ours = median(f"{results}/collector-post-c{c}-*.txt", wrk_rps)
        pg = median(f"{results}/pgbench-upsert-c{c}-*.pgbench", pgbench_tps)
        bare = median(f"{results}/bare-post-c{c}-*.txt", wrk_rps)
        def verdict(ratio, goal):
            return f"{ratio:.2f} " + ("met" if ratio >= goal else "**missed**")
        print(f"| {c} | {ours:,.0f} | {pg:,.0f} | {verdict(ours / pg, 1.0)} | {bare:,.0f} | {verdict(ours / bare, 0.8)} |")


if __name__ == "__main__":
    main()
