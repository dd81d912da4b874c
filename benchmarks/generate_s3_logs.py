#!/usr/bin/env python3
"""Writes N realistic Amazon S3 server access log lines for the import benchmark and tests.

Usage: generate_s3_logs.py N OUTFILE [--seed S]

The mix: about 80% pings (GETs of instance-<id>.log?x-instance-id=<id> on
kubeflow-on-aws-usage-tracking-<region> buckets, answered 403, 404 or 200) over many instance IDs
and regions including China and GovCloud; the rest other operations (PUT, HEAD, bucket listings),
other keys, other buckets, a mismatched or malformed instance ID, and a few malformed lines
(truncated, garbage, an impossible date). Records come in the 18-, 24-, 26-, 27- and 28-field
variants, from IPv4 and IPv6 addresses, with user agents that contain spaces. A few non-ping
records carry a user agent with backslash-escaped quotes: AWS's documented Athena regex cannot read
those (it counts them malformed), so they are kept off the ping lines to let both parsers agree on
the pings.
"""

import argparse
import random

REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-central-1", "eu-north-1", "ap-northeast-1", "ap-northeast-2", "ap-south-1",
    "ap-southeast-1", "ap-southeast-2", "ca-central-1", "sa-east-1", "me-south-1", "af-south-1",
    "cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1",
]
# Weighted so the big regions dominate, as they do in real usage.
REGION_WEIGHTS = [14, 6, 3, 18, 9, 3, 2, 7, 2, 5, 2, 3, 3, 3, 2, 1, 1, 1, 3, 2, 1, 1]

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

AGENT_USER_AGENTS = [
    "python-requests/2.22.0",
    "python-requests/2.31.0",
    "curl/7.58.0",
    "curl/8.5.0",
    "Python-urllib/3.8",
    "aws-cli/2.15.0 Python/3.11.6 Linux/5.10.205-195.807.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/s3.cp",
]
OTHER_USER_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.198-165.743.amzn2int.x86_64",
    "aws-sdk-go/1.44.122 (go1.19.3; linux; amd64)",
    "Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.6 cfg/retry-mode#legacy Botocore/1.34.11",
]
ESCAPED_QUOTE_USER_AGENT = r'scanner/1.0 (compatible; \"probe\" build 7)'
REFERERS = ["-", "-", "-", "-", "https://console.aws.amazon.com/s3/buckets", "https://example.com/kubeflow/install"]
CIPHERS = ["ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES256-GCM-SHA384"]
TLS = ["TLSv1.2", "TLSv1.3"]

OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


def hexdigits(rng, n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def instance_id(rng):
    return "i-" + hexdigits(rng, 17 if rng.random() < 0.9 else 8)


def remote_ip(rng):
    if rng.random() < 0.15:
        return "2600:1f14:%x:%x::%x" % (rng.randrange(0x10000), rng.randrange(0x10000), rng.randrange(1, 0x10000))
    return "%d.%d.%d.%d" % (rng.choice([3, 18, 34, 52, 54, 13, 198]), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))


def log_time(rng):
    year = rng.randint(2019, 2024)
    month = rng.randint(1, 12)
    day = rng.randint(1, DAYS_IN_MONTH[month - 1])
    offset = "+0000" if rng.random() < 0.99 else rng.choice(["+0530", "-0700", "+0800"])
    return "[%02d/%s/%04d:%02d:%02d:%02d %s]" % (
        day, MONTHS[month - 1], year, rng.randrange(24), rng.randrange(60), rng.randrange(60), offset)


def host_for(bucket, region):
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return "%s.s3.%s.%s" % (bucket, region, suffix)


def record(rng, bucket, region, operation, key, request_uri, status, error, user_agent):
    """One record with a random number of trailing fields: 18, 24, 26, 27 or 28."""
    # An error answer sends its XML error body; a 200 sends the object.
    object_size = "-" if status >= 300 else str(rng.randrange(0, 4096))
    bytes_sent = str(rng.choice([243, 300, 369])) if status >= 300 else object_size
    fields = [
        OWNER, bucket, log_time(rng), remote_ip(rng), "-", hexdigits(rng, 16).upper(), operation, key,
        request_uri, str(status), error, bytes_sent, object_size,
        str(rng.randrange(1, 90)), "-" if status >= 300 else str(rng.randrange(1, 40)),
        '"%s"' % rng.choice(REFERERS), '"%s"' % user_agent, "-",
    ]
    variant = rng.random()
    if variant < 0.02:
        return " ".join(fields)  # 18 fields: records from before 2018
    fields += [
        hexdigits(rng, 76), "SigV4" if rng.random() < 0.8 else "-", rng.choice(CIPHERS),
        "AuthHeader" if rng.random() < 0.3 else "QueryString" if rng.random() < 0.1 else "-",
        host_for(bucket, region), rng.choice(TLS),
    ]
    if variant < 0.25:
        return " ".join(fields)  # 24 fields
    fields += ["-", "-"]  # access point ARN, ACL required
    if variant < 0.50:
        return " ".join(fields)  # 26 fields
    fields.append(region)  # 27 fields: the newest documented field
    if variant < 0.95:
        return " ".join(fields)
    fields.append("future-field")  # a field AWS may add at the end one day
    return " ".join(fields)


def ping_line(rng, instances):
    region = rng.choices(REGIONS, REGION_WEIGHTS)[0]
    bucket = "kubeflow-on-aws-usage-tracking-" + region
    iid = rng.choice(instances)
    key = "instance-%s.log" % iid
    query = "?x-instance-id=%s" % iid if rng.random() < 0.95 else ""
    status, error = rng.choices([(403, "AccessDenied"), (404, "NoSuchKey"), (200, "-")], [70, 25, 5])[0]
    uri = '"GET /%s%s HTTP/1.1"' % (key, query)
    return record(rng, bucket, region, "REST.GET.OBJECT", key, uri, status, error, rng.choice(AGENT_USER_AGENTS))


def other_line(rng, instances):
    region = rng.choices(REGIONS, REGION_WEIGHTS)[0]
    bucket = "kubeflow-on-aws-usage-tracking-" + region
    iid = rng.choice(instances)
    kind = rng.random()
    user_agent = ESCAPED_QUOTE_USER_AGENT if rng.random() < 0.05 else rng.choice(OTHER_USER_AGENTS)
    if kind < 0.20:
        key = "instance-%s.log" % iid
        return record(rng, bucket, region, "REST.PUT.OBJECT", key, '"PUT /%s HTTP/1.1"' % key, 200, "-", user_agent)
    if kind < 0.35:
        return record(rng, bucket, region, "REST.GET.BUCKET", "-", '"GET /?list-type=2&prefix=instance-&encoding-type=url HTTP/1.1"', 200, "-", user_agent)
    if kind < 0.45:
        key = "instance-%s.log" % iid
        return record(rng, bucket, region, "REST.HEAD.OBJECT", key, '"HEAD /%s HTTP/1.1"' % key, 404, "NoSuchKey", user_agent)
    if kind < 0.60:
        key = rng.choice(["favicon.ico", "index.html", "robots.txt", "kubeflow/manifest.yaml"])
        return record(rng, bucket, region, "REST.GET.OBJECT", key, '"GET /%s HTTP/1.1"' % key, 404, "NoSuchKey", user_agent)
    if kind < 0.75:
        other = rng.choice(["amzn-s3-demo-bucket1", "kubeflow-manifests-artifacts", "my-company-logs"])
        key = "instance-%s.log" % iid
        return record(rng, other, region, "REST.GET.OBJECT", key, '"GET /%s HTTP/1.1"' % key, 403, "AccessDenied", user_agent)
    if kind < 0.85:
        key = "instance-%s.log" % iid
        uri = '"GET /%s?x-instance-id=%s HTTP/1.1"' % (key, rng.choice(instances))
        return record(rng, bucket, region, "REST.GET.OBJECT", key, uri, 403, "AccessDenied", user_agent)
    bad = rng.choice(["I-" + hexdigits(rng, 17).upper(), "i-" + hexdigits(rng, 12), "i-xyz", "instance"])
    key = "instance-%s.log" % bad
    return record(rng, bucket, region, "REST.GET.OBJECT", key, '"GET /%s?x-instance-id=%s HTTP/1.1"' % (key, bad), 403, "AccessDenied", user_agent)


def malformed_line(rng, instances):
    kind = rng.random()
    if kind < 0.5:
        line = ping_line(rng, instances)
        return line[: rng.randrange(1, len(line) // 2)]  # truncated mid-record
    if kind < 0.8:
        return rng.choice([
            "<html><body>503 Service Unavailable</body></html>",
            "#Version: 1.0",
            "garbage garbage garbage",
            "\x00\x01\x02 binary",
        ])
    line = ping_line(rng, instances)
    start = line.index("[") + 1
    return line[:start] + "31/Feb" + line[start + 6:]  # an impossible date


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, help="number of lines")
    parser.add_argument("outfile", help="file to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--instances", type=int, default=5000, help="distinct instance IDs (default 5000)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    instances = [instance_id(rng) for _ in range(args.instances)]
    with open(args.outfile, "w", encoding="utf-8", newline="\n") as out:
        for _ in range(args.count):
            roll = rng.random()
            if roll < 0.80:
                line = ping_line(rng, instances)
            elif roll < 0.99:
                line = other_line(rng, instances)
            else:
                line = malformed_line(rng, instances)
            out.write(line + "\n")


if __name__ == "__main__":
    main()
