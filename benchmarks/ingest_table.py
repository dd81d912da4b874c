#!/usr/bin/env python3
"""Reads the wrk outputs that benchmarks/ingest.sh saved (TARGET-cN-RUN.txt, plus .stored and
.metrics files for the collector's runs) and prints, for N connections, a Markdown table of medians,
the collector's group-commit figures and the goal ratios.

Usage: ingest_table.py RESULTS_DIR CONNECTIONS
"""
import glob
import os
import re
import statistics
import sys

TARGETS = [
    ("collector-post", "collector, `POST /v1/pings` (validate, group commit, fsync, then 200)"),
    ("collector-get", "collector, `GET /instance-<id>.log?x-instance-id=<id>` with the bucket's Host"),
    ("bare-post", "bare Hummingbird route, `POST /v1/pings` (reads the body, stores nothing)"),
    ("nginx-get", "nginx, tiny static file, access log on (the same GETs)"),
]
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {"rps": rps, "p99": float(value) * UNITS[unit], "requests": requests,
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "errors": errors.group(1).strip() if errors else ""}


def commit_figures(directory, connections):
    """Median pings per commit and median ms per commit over the collector's runs."""
    batches, durations = [], []
    for path in glob.glob(os.path.join(directory, f"collector-c{connections}-*.metrics")):
        values = dict(line.split() for line in open(path) if line.strip())
        count = float(values.get("usage_commit_batch_size_count", 0))
        if count:
            batches.append(float(values["usage_commit_batch_size_sum"]) / count)
            durations.append(1000 * float(values["usage_commit_duration_seconds_sum"]) / float(values["usage_commit_duration_seconds_count"]))
    if not batches:
        return None
    return statistics.median(batches), statistics.median(durations)


def fold_figures(directory, connections):
    """The fold's lag: the largest sampled during each run, the value 1 s after it; folds' sizes."""
    during, after, sizes, durations = [], [], [], []
    for path in glob.glob(os.path.join(directory, f"collector-c{connections}-*.lag")):
        samples = [float(line) for line in open(path) if line.strip()]
        if samples:
            during.append(max(samples))
        if os.path.exists(path + "-after"):
            text = open(path + "-after").read().strip()
            if text:
                after.append(float(text))
    for path in glob.glob(os.path.join(directory, f"collector-c{connections}-*.metrics")):
        values = dict(line.split() for line in open(path) if line.strip())
        count = float(values.get("usage_fold_batch_size_count", 0))
        if count:
            sizes.append(float(values["usage_fold_batch_size_sum"]) / count)
            durations.append(1000 * float(values["usage_fold_duration_seconds_sum"]) / float(values["usage_fold_duration_seconds_count"]))
    if not during:
        return None
    return during, after, sizes, durations


def main():
    directory, connections = sys.argv[1], sys.argv[2]
    results = {}
    for target, _ in TARGETS:
        runs = sorted(glob.glob(os.path.join(directory, f"{target}-c{connections}-[0-9]*.txt")))
        results[target] = [parse(path) for path in runs]
        for path, row in zip(runs, results[target]):
            stored = path[:-4] + ".stored"
            if os.path.exists(stored):
                row["stored"] = int(open(stored).read().strip() or 0)
    runs = len(results["collector-post"])
    median = lambda target, key: statistics.median(r[key] for r in results[target])
    print(f"**{connections} connections** (`wrk -c{connections}`)\n")
    print(f"| target | req/s, median of {runs} | p99 ms, median | req/s of each run | non-2xx | socket errors |")
    print("| --- | ---: | ---: | --- | ---: | --- |")
    for target, label in TARGETS:
        rows = results[target]
        if not rows:
            continue
        each = ", ".join(f"{r['rps']:.0f}" for r in rows)
        non2xx = sum(r["non2xx"] for r in rows)
        errors = "; ".join(sorted({r["errors"] for r in rows if r["errors"]})) or "none"
        print(f"| {label} | {median(target, 'rps'):,.0f} | {median(target, 'p99'):.2f} | {each} | {non2xx} | {errors} |")

    stored_ok = all(r.get("stored", 0) >= r["requests"] for t in ("collector-post", "collector-get") for r in results[t])
    print()
    print(f"Every acknowledged ping was on disk after each collector run (pings stored ≥ requests counted by wrk): "
          f"{'yes' if stored_ok else 'NO'}.", end="")
    figures = commit_figures(directory, connections)
    if figures:
        print(f" Group commit (from the collector's /metrics, POST and GET runs together): {figures[0]:.1f} pings per"
              f" transaction, {figures[1]:.1f} ms per transaction (medians of the runs' means).")
    else:
        print()
    fold = fold_figures(directory, connections)
    if fold:
        during, after, sizes, durations = fold
        print()
        print(f"Fold lag (journal entries acknowledged, not yet folded; sampled every 0.2 s): largest per run "
              f"{', '.join(f'{v:,.0f}' for v in during)}; 1 s after the load stopped: {', '.join(f'{v:,.0f}' for v in after)}."
              + (f" Pings per fold {statistics.median(sizes):,.0f}, ms per fold {statistics.median(durations):.1f} (medians of the runs' means)." if sizes else ""))
    print()
    post, get = median("collector-post", "rps"), median("collector-get", "rps")
    bare, nginx = median("bare-post", "rps"), median("nginx-get", "rps")
    print("| ratio (medians of req/s) | value | goal | met |")
    print("| --- | ---: | ---: | --- |")
    for name, value, goal in [
        ("collector POST ÷ bare route POST", post / bare, 0.8),
        ("collector POST ÷ nginx", post / nginx, 0.5),
        ("collector GET ÷ nginx (the same requests)", get / nginx, 0.5),
    ]:
        print(f"| {name} | {value:.2f} | ≥ {goal} | {'met' if value >= goal else '**missed**'} |")


if __name__ == "__main__":
    main()
