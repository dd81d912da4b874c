#!/usr/bin/env python3
"""The reference for the S3 access-log import benchmark: AWS's documented Athena regex in Python.

Usage: s3_import_reference.py LOGFILE [--dump-pings CSV]

Every line is matched against the `input.regex` that AWS documents for Athena tables over Amazon S3
server access logs ("Using Amazon S3 access logs to identify requests", Amazon S3 User Guide,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-s3-access-logs-to-identify-requests.html;
source awsdocs/amazon-s3-userguide doc_source/using-s3-access-logs-to-identify-requests.md), translated
from the SQL string literal (`\\\\[` is `\\[`, `\\"` is `"`) and matched whole, as Hive's RegexSerDe
does. The ping rules are those of UsageTrackingCore's S3AccessLogParser, so both count the same:

- a line the regex does not match, or whose time is not `dd/Mon/yyyy:HH:mm:ss +hhmm`, is malformed;
- the bucket must be kubeflow-on-aws-usage-tracking-<region> (when it is `-`, the host header,
  which this regex only yields for records with at least 26 fields), with a valid region;
- a GET: operation REST.GET.OBJECT, or a non-REST operation whose request-URI method is GET;
- key instance-<id>.log (the request-URI path's last segment when the key is `-`) and/or
  x-instance-id=<id> in the query; both present must agree; the ID must be well-formed.

Prints one JSON line: bytes, lines, pings, skipped by reason, malformed, wall seconds and MB/s
(10^6 B/s), and CPU seconds and MB per CPU second (steadier on a shared machine).
Known limits of the documented regex, left as they are since it is the reference: a quoted field
with an escaped quote (\\") or a referer with a space does not match (malformed here, parsed by the
Swift parser), and a 24- or 25-field record yields no host header.
"""

import argparse
import json
import re
import sys
import time

# The SQL literal on the AWS page:
# '([^ ]*) ([^ ]*) \\[(.*?)\\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) (\"[^\"]*\"|-) (-|[0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) (\"[^\"]*\"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$'
ATHENA_INPUT_REGEX = re.compile(
    rb'([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) '
    rb'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)'
    rb'(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$'
)
# Column numbers (1-based groups) of the Athena table.
BUCKET, REQUESTDATETIME, OPERATION, KEY, REQUEST_URI, ENDPOINT = 2, 3, 7, 8, 9, 23

INSTANCE_ID = re.compile(rb'i-(?:[0-9a-f]{8}|[0-9a-f]{17})')
REGION = re.compile(
    rb'(?:(?:us|eu|ap|sa|ca|me|af|il|mx|cn)-[a-z]+-[0-9]+|us-gov-[a-z]+-[0-9]+|eusc-[a-z]+-[a-z]+-[0-9]+)'
)
BUCKET_PREFIX = b'kubeflow-on-aws-usage-tracking-'
MONTHS = {m.encode(): i + 1 for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])}
SKIP_REASONS = ["not_a_usage_bucket", "invalid_region", "not_a_get_of_an_instance_object",
                "invalid_instance_id", "instance_id_mismatch"]


def days_from_civil(year, month, day):
    y = year - 1 if month <= 2 else year
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def days_in(month, year):
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def milliseconds(t):
    """dd/Mon/yyyy:HH:mm:ss +hhmm -> ms since the epoch, or None."""
    if len(t) != 26 or t[2:3] != b'/' or t[6:7] != b'/' or t[11:12] != b':' or t[14:15] != b':' \
            or t[17:18] != b':' or t[20:21] != b' ' or t[21:22] not in (b'+', b'-'):
        return None
    digits = t[0:2] + t[7:11] + t[12:14] + t[15:17] + t[18:20] + t[22:26]
    if not digits.isdigit():
        return None
    month = MONTHS.get(t[3:6])
    day, year, hour, minute, second = int(t[0:2]), int(t[7:11]), int(t[12:14]), int(t[15:17]), int(t[18:20])
    oh, om = int(t[22:24]), int(t[24:26])
    if month is None or not 1 <= day <= days_in(month, year) or hour > 23 or minute > 59 or second > 59 \
            or oh > 23 or om > 59:
        return None
    sign = 1 if t[21:22] == b'+' else -1
    seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second \
        - sign * (oh * 3600 + om * 60)
    return seconds * 1000


def region_from_host(raw):
    """UsageBucket.region(fromHost:): (region, None), (None, None) when not ours, (None, reason)."""
    host = raw.lower()
    colon = host.rfind(b':')
    if colon >= 0 and all(48 <= c <= 57 for c in host[colon + 1:]):
        host = host[:colon]
    if host.endswith(b'.'):
        host = host[:-1]
    if not host.startswith(BUCKET_PREFIX):
        return None, None
    rest = host[len(BUCKET_PREFIX):]
    dot = rest.find(b'.')
    if dot < 0:
        return None, "invalid_region"
    region = rest[:dot]
    if not REGION.fullmatch(region):
        return None, "invalid_region"
    suffix = b'amazonaws.com.cn' if region.startswith(b'cn-') else \
        b'amazonaws.eu' if region.startswith(b'eusc-') else b'amazonaws.com'
    accepted = (b'.s3.' + region + b'.' + suffix, b'.s3.dualstack.' + region + b'.' + suffix,
                b'.s3-' + region + b'.amazonaws.com', b'.s3.amazonaws.com')
    if rest[dot:] not in accepted:
        return None, "not_a_usage_bucket"
    return region, None


def instance_id_in_key(key):
    if len(key) > 13 and key.startswith(b'instance-') and key.endswith(b'.log'):
        return key[9:-4]
    return None


def classify(line):
    """('ping', (ms, id, region)) | ('skipped', reason) | ('malformed', None)"""
    m = ATHENA_INPUT_REGEX.fullmatch(line)
    if m is None:
        return 'malformed', None
    ms = milliseconds(m.group(REQUESTDATETIME))
    if ms is None:
        return 'malformed', None

    bucket = m.group(BUCKET)
    if bucket == b'-':
        host = m.group(ENDPOINT)
        if host is None or host == b'-':
            return 'skipped', 'not_a_usage_bucket'
        region, reason = region_from_host(host)
        if region is None:
            return 'skipped', reason or 'not_a_usage_bucket'
    else:
        if not bucket.startswith(BUCKET_PREFIX):
            return 'skipped', 'not_a_usage_bucket'
        region = bucket[len(BUCKET_PREFIX):]
        if not REGION.fullmatch(region):
            return 'skipped', 'invalid_region'

    uri = m.group(REQUEST_URI)
    if uri.startswith(b'"'):
        uri = uri[1:-1]
    method, target = b'', b''
    if uri != b'-':
        parts = uri.split(b' ', 2)
        method = parts[0]
        if len(parts) > 1:
            target = parts[1]
    operation = m.group(OPERATION)
    if operation == b'REST.GET.OBJECT':
        is_get = True
    elif operation.startswith(b'REST.'):
        is_get = False
    else:
        is_get = method == b'GET'
    if not is_get:
        return 'skipped', 'not_a_get_of_an_instance_object'

    path, question, query = target.partition(b'?')
    key = m.group(KEY)
    key_id = instance_id_in_key(path.rpartition(b'/')[2] if key == b'-' else key)
    query_id = None
    if question:
        for parameter in query.split(b'&'):
            if parameter.startswith(b'x-instance-id='):
                query_id = parameter[14:]
                break
    iid = key_id if key_id is not None else query_id
    if iid is None:
        return 'skipped', 'not_a_get_of_an_instance_object'
    if key_id is not None and query_id is not None and key_id != query_id:
        return 'skipped', 'instance_id_mismatch'
    if not INSTANCE_ID.fullmatch(iid):
        return 'skipped', 'invalid_instance_id'
    return 'ping', (ms, iid, region)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("logfile")
    parser.add_argument("--dump-pings", metavar="CSV", help="also write time_ms,instance_id,region per ping")
    args = parser.parse_args()

    pings = 0
    malformed = 0
    skipped = dict.fromkeys(SKIP_REASONS, 0)
    lines = 0
    total_bytes = 0
    dump = open(args.dump_pings, "wb") if args.dump_pings else None
    start = time.perf_counter()
    cpu_start = time.process_time()
    with open(args.logfile, "rb") as log:
        for raw in log:
            lines += 1
            total_bytes += len(raw)
            kind, value = classify(raw.rstrip(b'\r\n'))
            if kind == 'ping':
                pings += 1
                if dump:
                    dump.write(b'%d,%s,%s\n' % value)
            elif kind == 'skipped':
                skipped[value] += 1
            else:
                malformed += 1
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    if dump:
        dump.close()
    json.dump({
        "parser": "python-athena-regex",
        "python": sys.version.split()[0],
        "bytes": total_bytes,
        "lines": lines,
        "pings": pings,
        "skipped": skipped,
        "malformed": malformed,
        "seconds": round(seconds, 3),
        "mb_per_s": round(total_bytes / 1e6 / seconds, 2) if seconds > 0 else None,
        "cpu_seconds": round(cpu_seconds, 3),
        "mb_per_cpu_s": round(total_bytes / 1e6 / cpu_seconds, 2) if cpu_seconds > 0 else None,
    }, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
