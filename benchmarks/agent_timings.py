#!/usr/bin/env python3
"""Runs usage-agent and the bash + curl script of the original component against the same local
fakes, alternately, each under `/usr/bin/time -v`, and prints a Markdown table: median wall time
and median peak RSS of each, the ratio, and the agent's stripped binary size.

Usage: agent_timings.py --agent LABEL=STRIPPED_BIN [--agent ...] --imds URL --collector URL --hits LOG [--runs 9]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(command, env):
    """(wall seconds, peak RSS KiB) of one run under /usr/bin/time -v."""
    result = subprocess.run(["/usr/bin/time", "-v"] + command, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
    report = result.stderr
    if result.returncode != 0:
        sys.exit(f"{command[0]} exited {result.returncode}:\n{report}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", report)
    hours, minutes, seconds = int(wall.group(1) or 0), int(wall.group(2)), float(wall.group(3))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", report).group(1))
    return hours * 3600 + minutes * 60 + seconds, rss


def pings_sent(log):
    if not os.path.exists(log):
        return 0
    return sum(1 for line in open(log) if line.startswith("GET /instance-"))


def log_lines(path):
    if not path or not os.path.exists(path):
        return []
    return open(path).read().splitlines()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", action="append", required=True, help="LABEL=PATH of a stripped usage-agent")
    parser.add_argument("--imds", required=True)
    parser.add_argument("--collector", required=True)
    parser.add_argument("--hits", required=True, help="the fake collector's request log")
    parser.add_argument("--imds-log", help="the fake metadata service's request log")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--slow-collector", help="a fake collector that holds its answer back: the RSS breakdown is read while the agent waits")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("USAGE_", "AWS_", "DO_NOT_TRACK", "NODE_NAME"))}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1"
    agents = dict(entry.split("=", 1) for entry in args.agent)
    sides = {label: [path, "--jitter", "0", "--protocol", "s3", "--collector", args.collector,
                     "--imds-endpoint", args.imds, "--strict"] for label, path in agents.items()}
    sides["bash + curl"] = ["bash", os.path.join(HERE, "original_agent.sh"), args.imds, args.collector]
    results = {name: [] for name in sides}
    metadata_requests = {name: set() for name in sides}
    for run in range(args.runs):
        for name, command in sides.items():
            before = pings_sent(args.hits)
            metadata_before = log_lines(args.imds_log)
            results[name].append(timed(command, env))
            if pings_sent(args.hits) != before + 1:
                sys.exit(f"{name} did not send exactly one ping in run {run + 1}")
            metadata_requests[name].add(tuple(log_lines(args.imds_log)[len(metadata_before):]))
        print(f"run {run + 1}: " + ", ".join(f"{n} {r[-1][0]:.2f} s {r[-1][1] / 1024:.1f} MiB" for n, r in results.items()),
              file=sys.stderr, flush=True)

    wall = {n: statistics.median(r[0] for r in rows) for n, rows in results.items()}
    rss = {n: statistics.median(r[1] for r in rows) / 1024 for n, rows in results.items()}
    print(f"{args.runs} runs of each, alternating; each sent exactly one ping to the fake collector\n")
    print("| side | wall s, median | peak RSS MiB, median | peak RSS of each run, MiB |")
    print("| --- | ---: | ---: | --- |")
    for name, rows in results.items():
        each = ", ".join(f"{r[1] / 1024:.1f}" for r in rows)
        print(f"| {name} | {wall[name]:.2f} | {rss[name]:.1f} | {each} |")
    print()
    if args.imds_log:
        for name, seen in metadata_requests.items():
            print(f"Metadata requests of {name}, every run: " + (" | ".join(", ".join(r) for r in seen) or "none") + ".  ")
        print()
    bash = "bash + curl"
    print("| measure | value | goal | met |")
    print("| --- | ---: | ---: | --- |")
    for label, path in agents.items():
        size = os.path.getsize(path)
        gzipped = len(subprocess.run(["gzip", "-9", "-c", path], check=True, capture_output=True).stdout)
        print(f"| peak RSS, {label} ÷ bash + curl | {rss[label] / rss[bash]:.2f} | ≤ 1.00 | {'met' if rss[label] <= rss[bash] else '**missed**'} |")
        print(f"| wall time, {label} ÷ bash + curl | {wall[label] / wall[bash]:.2f} | (none) | |")
        print(f"| stripped binary, {label} | {size / 1e6:.1f} MB ({size / 2**20:.1f} MiB; {gzipped / 1e6:.1f} MB gzipped) | < 30 MB | {'met' if size < 30e6 else '**missed**'} |")
    if args.slow_collector:
        print()
        print("Where each agent's resident memory is, read from /proc/PID/smaps while it waits for a slow collector's answer"
              " (after discovery, at about its peak), MiB:\n")
        print("| side | total | its own binary | Swift runtime (.so) | libc, libstdc++, libm, ld.so, libz | anonymous (heap, stacks) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for label, path in agents.items():
            command = [path, "--jitter", "0", "--protocol", "s3", "--collector", args.slow_collector, "--imds-endpoint", args.imds]
            parts = resident_breakdown(command, env, path)
            print(f"| {label} | {sum(parts.values()) / 1024:.1f} | {parts['binary'] / 1024:.1f} | {parts['swift'] / 1024:.1f} |"
                  f" {parts['system'] / 1024:.1f} | {parts['anonymous'] / 1024:.1f} |")


def resident_breakdown(command, env, binary):
    """KiB resident per kind of mapping, 1 s after start (the slow collector answers after 2 s)."""
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        parts = {"binary": 0, "swift": 0, "system": 0, "anonymous": 0}
        kind = "anonymous"
        with open(f"/proc/{process.pid}/smaps") as smaps:
            for line in smaps:
                fields = line.split()
                if re.match(r"^[0-9a-f]+-[0-9a-f]+$", fields[0]):
                    name = fields[5] if len(fields) > 5 else ""
                    if name == os.path.realpath(binary) or name == binary:
                        kind = "binary"
                    elif "/swift/" in name:
                        kind = "swift"
                    elif name.startswith("/"):
                        kind = "system"
                    else:
                        kind = "anonymous"
                elif fields[0] == "Rss:":
                    parts[kind] += int(fields[1])
        return parts
    finally:
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
