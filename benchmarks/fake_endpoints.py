#!/usr/bin/env python3
"""Local fakes for the agent benchmark, on 127.0.0.1: the EC2 instance metadata service (IMDSv2 and
IMDSv1) and a collector that answers every ping with the collector's 200 JSON.

Usage: fake_endpoints.py PORT [--log FILE] [--ping-delay SECONDS]

- PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds) -> a token
- GET /latest/meta-data/instance-id -> i-0123456789abcdef0
- GET /latest/meta-data/placement/region -> us-west-2
- GET /latest/meta-data/placement/availability-zone -> us-west-2a
- GET /instance-<id>.log?..., POST /v1/pings -> 200 {"recorded":true,"first_today":true}
Each request's method and path are appended to --log, so the benchmark can check what was sent.
--ping-delay holds each ping's answer back (to look at the agent's memory while it waits).
"""
import argparse
import http.server
import time

TOKEN = "AQAEAFakeTokenForTheBenchmark=="
METADATA = {
    "/latest/meta-data/instance-id": "i-0123456789abcdef0",
    "/latest/meta-data/placement/region": "us-west-2",
    "/latest/meta-data/placement/availability-zone": "us-west-2a",
}
PING_ANSWER = b'{"recorded":true,"first_today":true}'


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_file = None
    ping_delay = 0.0

    def log_message(self, format, *args):
        pass

    def note(self):
        if Handler.log_file:
            with open(Handler.log_file, "a") as log:
                log.write(f"{self.command} {self.path}\n")

    def answer(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        self.note()
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            self.answer(200, TOKEN.encode())
        else:
            self.answer(400, b"")

    def do_GET(self):
        self.note()
        path = self.path.split("?", 1)[0]
        if path in METADATA:
            token = self.headers.get("X-aws-ec2-metadata-token")
            if token is not None and token != TOKEN:
                self.answer(401, b"")
            else:
                self.answer(200, METADATA[path].encode())
        elif path.startswith("/instance-") and path.endswith(".log"):
            time.sleep(Handler.ping_delay)
            self.answer(200, PING_ANSWER, "application/json; charset=utf-8")
        else:
            self.answer(404, b"")

    def do_POST(self):
        self.note()
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == "/v1/pings":
            time.sleep(Handler.ping_delay)
            self.answer(200, PING_ANSWER, "application/json; charset=utf-8")
        else:
            self.answer(404, b"")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("port", type=int)
    parser.add_argument("--log")
    parser.add_argument("--ping-delay", type=float, default=0.0)
    args = parser.parse_args()
    Handler.log_file = args.log
    Handler.ping_delay = args.ping_delay
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
