#!/usr/bin/env python3
"""How far instance counts are from cluster counts, for each node choice of the agent.

    python3 benchmarks/identity_simulation.py                      # prints the table
    python3 benchmarks/identity_simulation.py --write docs/counting-deployments.md

Simulates clusters that run the daily CronJob, each day one ping with the instance ID the agent
reports under `--node-choice this` (the node the day's Job pod lands on: a new pod every day,
placed on any ready node) and under `--node-choice oldest` (the cluster's oldest EC2 node), and
counts, on the last day, what the collector's reports count: instances active that day, in the
last 7 and 28 days, and instances seen on at least 21 of the last 28 days ("regular"), beside the
true number of clusters. The rates are stated in RATES below and in the written page; the seed is
fixed, so the table is the same on every run.
"""
import argparse
import random
import re

DAYS = 120  # simulated; the counts are taken on the last day, long after the start
CLUSTERS = 3000
SEED = 20261204

# Cluster sizes (worker nodes): share of clusters, smallest, largest.
SIZES = [(0.40, 1, 3), (0.40, 4, 20), (0.20, 21, 200)]
# How nodes come and go, by how the cluster's capacity is run: share of clusters, mean days a node
# lives before it is replaced (exponential), and days between node group upgrades that replace
# every node (0: none).
FLEETS = [
    ("managed node groups, on-demand", 0.50, 90.0, 60),
    ("Karpenter, on-demand (consolidation)", 0.30, 10.0, 0),
    ("Karpenter or node groups on Spot", 0.20, 2.5, 0),
]
# Clusters come and go too: created before or during the simulated days; deleted at this daily
# rate (about one in four within a year).
DELETION_PER_DAY = 0.0008
RATES = [
    f"{CLUSTERS:,} clusters over {DAYS} days; a cluster is deleted with probability {DELETION_PER_DAY} a day "
    f"(about {1 - (1 - DELETION_PER_DAY) ** 365:.0%} a year) and replaced by a new one, so the number alive stays level",
    "sizes: " + ", ".join(f"{share:.0%} with {low}-{high} nodes" for share, low, high in SIZES),
    "fleets: " + "; ".join(f"{share:.0%} {name}, nodes live {life:g} days on average"
                           + (f", all replaced by an upgrade every {upgrade} days" if upgrade else "")
                           for name, share, life, upgrade in FLEETS),
    "the day's Job pod lands on any ready node with equal chance (a new pod every day)",
]


class Cluster:
    def __init__(self, rng, serial, born):
        self.rng = rng
        self.born = born
        self.deleted = None
        share = rng.random()
        for fraction, low, high in SIZES:
            if share < fraction:
                self.size = rng.randint(low, high)
                break
            share -= fraction
        pick = rng.random()
        for name, fraction, life, upgrade in FLEETS:
            if pick < fraction:
                self.life, self.upgrade = life, upgrade
                break
            pick -= fraction
        self.upgrade_phase = rng.randrange(self.upgrade) if self.upgrade else 0
        self.next_node = 0
        self.serial = serial
        # Each node: (created day, instance ID); the list is the cluster's nodes today.
        self.nodes = [self.new_node(born - rng.random() * self.life) for _ in range(self.size)]

    def new_node(self, day):
        self.next_node += 1
        return (day, f"{self.serial}-{self.next_node}")

    def advance(self, day):
        """Replaces nodes whose time is up, then applies an upgrade if one falls on this day."""
        replace = 1 - pow(2.718281828, -1 / self.life)
        self.nodes = [self.new_node(day + self.rng.random()) if self.rng.random() < replace else node for node in self.nodes]
        if self.upgrade and (day + self.upgrade_phase) % self.upgrade == 0:
            self.nodes = [self.new_node(day + self.rng.random()) for _ in self.nodes]

    def report(self, choice):
        if choice == "this":
            return self.rng.choice(self.nodes)[1]
        return min(self.nodes)[1]


def simulate():
    rng = random.Random(SEED)
    clusters = [Cluster(rng, n, -rng.random() * 365) for n in range(CLUSTERS)]
    serial = CLUSTERS
    seen = {"this": {}, "oldest": {}}  # instance -> set of days
    alive_on = {}  # day -> clusters that reported
    for day in range(DAYS):
        for index, cluster in enumerate(clusters):
            if rng.random() < DELETION_PER_DAY:
                clusters[index] = cluster = Cluster(rng, serial, day)
                serial += 1
            cluster.advance(day)
            alive_on.setdefault(day, set()).add(cluster.serial)
            for choice in seen:
                seen[choice].setdefault(cluster.report(choice), set()).add(day)
    last = DAYS - 1
    clusters_in = lambda days: len(set().union(*(alive_on[d] for d in range(last - days + 1, last + 1))))
    rows = []
    truth = {1: clusters_in(1), 7: clusters_in(7), 28: clusters_in(28)}
    for choice, instances in seen.items():
        def active(days):
            return sum(1 for d in instances.values() if any(last - days < x <= last for x in d))
        regular = sum(1 for d in instances.values() if sum(1 for x in d if last - 28 < x <= last) >= 21)
        rows.append((choice, active(1), active(7), active(28), regular))
    return truth, rows


def table(truth, rows):
    lines = [
        "| count on the last day | true clusters | `--node-choice this` | ratio | `--node-choice oldest` | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    this, oldest = rows[0], rows[1]
    labels = [("active instances, 1 day", 1, 1), ("active instances, 7 days", 7, 2), ("active instances, 28 days", 28, 3),
              ("regular instances (seen on ≥ 21 of the last 28 days)", 28, 4)]
    for label, window, column in labels:
        t = truth[window]
        lines.append(f"| {label} | {t:,} | {this[column]:,} | {this[column] / t:.2f} | {oldest[column]:,} | {oldest[column] / t:.2f} |")
    return "\n".join(lines)


def main():
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--write", help="replace the text between the identity-simulation markers of this file")
    options = arguments.parse_args()
    truth, rows = simulate()
    text = "Rates: " + "; ".join(RATES) + ". Seed " + str(SEED) + ".\n\n" + table(truth, rows)
    if not options.write:
        print(text)
        return
    page = open(options.write).read()
    page, count = re.subn(r"(<!-- BEGIN identity-simulation -->\n).*?(<!-- END identity-simulation -->)",
                          lambda m: m.group(1) + text + "\n" + m.group(2), page, flags=re.S)
    if count != 1:
        raise SystemExit(f"identity_simulation: no identity-simulation markers in {options.write}")
    open(options.write, "w").write(page)


if __name__ == "__main__":
    main()
