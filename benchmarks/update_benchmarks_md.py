#!/usr/bin/env python3
"""Replaces the text between `<!-- BEGIN NAME -->` and `<!-- END NAME -->` in BENCHMARKS.md with the
contents of FILE (a benchmark script's output).

Usage: update_benchmarks_md.py BENCHMARKS.md NAME FILE
"""
import re
import sys

path, name, source = sys.argv[1:4]
text = open(path).read()
body = open(source).read().strip()
pattern = re.compile(rf"(<!-- BEGIN {re.escape(name)} -->\n)(?:.*?\n)?(<!-- END {re.escape(name)} -->)", re.S)
if not pattern.search(text):
    sys.exit(f"{path} has no <!-- BEGIN {name} --> ... <!-- END {name} --> markers")
text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text, count=1)
open(path, "w").write(text)
