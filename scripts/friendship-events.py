#!/usr/bin/env python3
"""Random friendship events on an undirected SNAP graph, for the epoch-cost measurements.

    scripts/friendship-events.py GRAPH N SEED > events.log

Alternates `- f U V` of an existing friendship (drawn uniformly) and `+ f U V` of a new one
(two distinct nodes of the graph drawn uniformly, redrawn while already friends), N events in
all, from the graph as it stands after the events before. The same (GRAPH, N, SEED) gives the
same file.
"""

import gzip
import random
import sys


def main():
    graph, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    opener = gzip.open if graph.endswith(".gz") else open
    edges, nodes = set(), set()
    with opener(graph, "rt") as f:
        for line in f:
            fields = line.split("#")[0].split()
            if len(fields) < 2:
                continue
            u, v = int(fields[0]), int(fields[1])
            if u != v:
                edges.add((min(u, v), max(u, v)))
                nodes.update((u, v))
    nodes, listed = sorted(nodes), sorted(edges)
    out = []
    for i in range(n):
        if i % 2 == 0:
            j = rng.randrange(len(listed))
            e = listed[j]
            listed[j] = listed[-1]
            listed.pop()
            edges.discard(e)
            out.append(f"- f {e[0]} {e[1]}")
        else:
            while True:
                u, v = rng.sample(nodes, 2)
                e = (min(u, v), max(u, v))
                if e not in edges:
                    break
            edges.add(e)
            listed.append(e)
            out.append(f"+ f {e[0]} {e[1]}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
