#!/usr/bin/env python3
"""Times each report of a running collector (median of several runs, whole data set) beside the
plain query an analyst would write over the raw instance_days rows of the same SQLite file, checks
that both give the same numbers, and prints a Markdown table with the ratio."""
import argparse, calendar, json, sqlite3, statistics, time, urllib.request

def monday(day_expr):
    return f"({day_expr} - (({day_expr} + 3) % 7))"

def iso(day):
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))

ANALYST = {
    "actives, 1 day": "SELECT day, COUNT(DISTINCT instance_id) FROM instance_days GROUP BY day ORDER BY day",
    "actives, 7 days": """SELECT d.day, (SELECT COUNT(DISTINCT x.instance_id) FROM instance_days x WHERE x.day BETWEEN d.day - 6 AND d.day)
                          FROM (SELECT DISTINCT day FROM instance_days) d ORDER BY d.day""",
    "actives, 28 days": """SELECT d.day, (SELECT COUNT(DISTINCT x.instance_id) FROM instance_days x WHERE x.day BETWEEN d.day - 27 AND d.day)
                           FROM (SELECT DISTINCT day FROM instance_days) d ORDER BY d.day""",
    "new": "SELECT first_day, COUNT(*) FROM (SELECT MIN(day) AS first_day FROM instance_days GROUP BY instance_id) GROUP BY first_day",
    "churned, 30 days": """SELECT last_day + 30, COUNT(*) FROM (SELECT MAX(day) AS last_day FROM instance_days GROUP BY instance_id)
                           WHERE last_day + 30 <= (SELECT MAX(day) FROM instance_days) GROUP BY last_day""",
    "regions": """SELECT coalesce(region, 'unknown'), COUNT(DISTINCT instance_id) FROM instance_days
                  WHERE day BETWEEN (SELECT MAX(day) FROM instance_days) - 27 AND (SELECT MAX(day) FROM instance_days) GROUP BY 1""",
    "retention": f"""WITH f AS (SELECT instance_id, {monday('MIN(day)')} AS cohort FROM instance_days GROUP BY instance_id),
                          w AS (SELECT DISTINCT instance_id, {monday('day')} AS week FROM instance_days)
                     SELECT cohort, week, COUNT(*) FROM f JOIN w USING (instance_id) GROUP BY cohort, week""",
    "days seen, 28 days": """SELECT day, seen, COUNT(*) FROM (
                                 SELECT d.day, COUNT(*) AS seen FROM (SELECT DISTINCT day FROM instance_days) d
                                 JOIN instance_days x ON x.day BETWEEN d.day - 27 AND d.day GROUP BY d.day, x.instance_id)
                             GROUP BY day, seen""",
}

# The days-seen report's groups of "seen on s of the 28 days".
BUCKETS = {"seen_1": range(1, 2), "seen_2_7": range(2, 8), "seen_8_20": range(8, 21), "seen_21_28": range(21, 29)}

ENDPOINT = {
    "actives, 1 day": "/v1/reports/actives?window=1",
    "actives, 7 days": "/v1/reports/actives?window=7",
    "actives, 28 days": "/v1/reports/actives?window=28",
    "new": "/v1/reports/new",
    "churned, 30 days": "/v1/reports/churned?after=30",
    "regions": "/v1/reports/regions",
    "retention": "/v1/reports/retention",
    "days seen, 28 days": "/v1/reports/days-seen",
}

def ours_as_rows(name, body):
    """The collector's answer in the analyst query's shape, for the comparison."""
    if name.startswith("actives"):
        return {d["day"]: d["active"] for d in body["days"] if d["active"]}
    if name == "new":
        return {d["day"]: d["new"] for d in body["days"] if d["new"]}
    if name.startswith("churned"):
        return {d["day"]: d["churned"] for d in body["days"] if d["churned"]}
    if name == "regions":
        return {r["region"]: r["active_28d"] for r in body["regions"] if r["active_28d"]}
    if name.startswith("days seen"):
        return {(d["day"], bucket): d[bucket] for d in body["days"] for bucket in BUCKETS if d[bucket]}
    if name == "retention":
        rows = {}
        for cohort in body["cohorts"]:
            start = calendar.timegm(time.strptime(cohort["week"], "%Y-%m-%d")) // 86400
            for weeks_after, active in enumerate(cohort["active"]):
                if active:
                    rows[(cohort["week"], iso(start + 7 * weeks_after))] = active
        return rows

def analyst_as_rows(name, rows):
    if name == "regions":
        return {r: n for r, n in rows if n}
    if name == "retention":
        return {(iso(c), iso(w)): n for c, w, n in rows if n}
    if name.startswith("days seen"):
        grouped = {}
        for day, seen, n in rows:
            bucket = next(b for b, r in BUCKETS.items() if seen in r)
            grouped[(iso(day), bucket)] = grouped.get((iso(day), bucket), 0) + n
        return grouped
    return {iso(d): n for d, n in rows if n}

def timed(function, runs):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result

def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--analyst-runs", type=int, default=1, help="runs of each analyst query (they are slow)")
    args = parser.parse_args()
    connection = sqlite3.connect(f"file:{args.database}?mode=ro", uri=True)
    rows, = connection.execute("SELECT COUNT(*) FROM instance_days").fetchone()
    instances, = connection.execute("SELECT COUNT(*) FROM instances").fetchone()
    print(f"data: {instances} instances, {rows} (instance, day) rows, sqlite {sqlite3.sqlite_version}\n")
    print("| report (whole data set) | collector, median ms | analyst SQL, ms | ratio | same numbers | under 50 ms |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for name, path in ENDPOINT.items():
        fetch = lambda: json.load(urllib.request.urlopen(args.url + path))
        fetch()  # warm
        ours_ms, body = timed(fetch, args.runs)
        theirs_ms, result = timed(lambda: connection.execute(ANALYST[name]).fetchall(), args.analyst_runs)
        same = ours_as_rows(name, body) == analyst_as_rows(name, result)
        print(f"| {name} | {ours_ms:.1f} | {theirs_ms:.0f} | {theirs_ms / ours_ms:.0f}× | {'yes' if same else 'NO'} | {'yes' if ours_ms < 50 else 'no'} |", flush=True)

if __name__ == "__main__":
    main()
