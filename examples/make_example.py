#!/usr/bin/env python3
"""Generate cimflow's bundled example: a small synthetic friendship graph, adopter sets and an
event log. Standard library only, fixed seed: running it again rewrites the same files.

    python3 examples/make_example.py          # writes next to this script

friends.txt   ~400 users in 4 planted communities; inside each, preferential attachment (so each
              has a few hubs), plus sparse links between communities. Undirected, SNAP format.
adopters.ap   3 nested adopter sets (5, 10 and 20 users), comma separated, one set a line.
events.log    ~600 events in cimflow's event-log grammar (docs/FORMATS.md, section 4), times increasing.
"""

import os
import random

SEED = 20231
COMMUNITIES = [120, 100, 100, 80]  # sizes; node ids are 1..400, community by community
ATTACH = 4  # edges each node brings when it joins its community (Barabasi-Albert m)
BRIDGES = 80  # edges between communities
NEW_USERS = 20  # users who first appear in the event log (ids 401..420)
EVENTS = 600
T0 = 1_700_000_000  # first event time, integer seconds

HERE = os.path.dirname(os.path.abspath(__file__))


def edge(u, v):
    return (u, v) if u < v else (v, u)


def build_graph(rng):
    community = {}
    edges = set()
    first = 1
    for c, size in enumerate(COMMUNITIES):
        members = list(range(first, first + size))
        first += size
        for v in members:
            community[v] = c
        # Start from a small clique, then attach each further node to ATTACH distinct earlier
        # ones chosen with probability proportional to degree: a few hubs emerge.
        core = members[: ATTACH + 1]
        ends = []  # every edge end once: sampling from it is sampling by degree
        for i, u in enumerate(core):
            for v in core[i + 1 :]:
                edges.add(edge(u, v))
                ends += [u, v]
        for v in members[ATTACH + 1 :]:
            targets = set()
            while len(targets) < ATTACH:
                targets.add(rng.choice(ends))
            for u in sorted(targets):
                edges.add(edge(u, v))
                ends += [u, v]
    nodes = sorted(community)
    degree = degrees(edges)
    while BRIDGES > sum(1 for u, v in edges if community[u] != community[v]):
        # Bridges also favour well-connected users, so some hubs span communities.
        u = rng.choices(nodes, weights=[degree[n] for n in nodes])[0]
        v = rng.choice(nodes)
        if community[u] != community[v] and edge(u, v) not in edges:
            edges.add(edge(u, v))
            degree[u] += 1
            degree[v] += 1
    return community, edges


def degrees(edges):
    degree = {}
    for u, v in edges:
        degree[u] = degree.get(u, 0) + 1
        degree[v] = degree.get(v, 0) + 1
    return degree


def write_graph(community, edges):
    degree = degrees(edges)
    hubs = sorted(degree, key=lambda n: (-degree[n], n))[:5]
    with open(os.path.join(HERE, "friends.txt"), "w") as f:
        f.write("# cimflow example: a synthetic undirected friendship graph (examples/make_example.py)\n")
        sizes = ", ".join(map(str, COMMUNITIES))
        f.write(f"# {len(COMMUNITIES)} planted communities of {sizes} users, ids 1..{len(community)} in that\n")
        f.write("# order; preferential attachment inside each, sparse links between them.\n")
        f.write("# Load with --undirected: each friendship is listed once and means both arcs.\n")
        f.write(f"# Largest hubs (id:degree): {' '.join(f'{h}:{degree[h]}' for h in hubs)}\n")
        f.write(f"# Nodes: {len(community)} Edges: {len(edges)}\n")
        f.write("# FromNodeId\tToNodeId\n")
        for u, v in sorted(edges):
            f.write(f"{u}\t{v}\n")


def pick_adopters(rng, edges):
    # Ordinary users with a few friends to invite, not the hubs.
    degree = degrees(edges)
    pool = sorted(n for n in degree if 4 <= degree[n] <= 12)
    chosen = rng.sample(pool, 20)
    sets = [sorted(chosen[:5]), sorted(chosen[:10]), sorted(chosen)]
    with open(os.path.join(HERE, "adopters.ap"), "w") as f:
        for s in sets:
            f.write(",".join(map(str, s)) + "\n")
    return sets


class Log:
    def __init__(self, rng):
        self.rng = rng
        self.t = T0
        self.lines = []
        self.events = 0

    def comment(self, text):
        self.lines.append(f"# {text}")

    def event(self, text, counted=True):
        self.t += self.rng.randint(1, 30)
        self.lines.append(f"{self.t} {text}")
        if counted:
            self.events += 1


def write_events(rng, community, edges, adopter_sets):
    friends = set(edges)
    interactions = {}  # (u, v) -> count, directed
    nodes = sorted(community)
    by_community = {}
    for n in nodes:
        by_community.setdefault(community[n], []).append(n)
    adopters = set(adopter_sets[-1])
    outsiders = [n for n in nodes if n not in adopters]
    next_new = len(nodes) + 1
    log = Log(rng)

    def degree_pick(candidates):
        degree = degrees(friends)
        return rng.choices(candidates, weights=[degree.get(n, 0) + 1 for n in candidates])[0]

    def new_friendship():
        nonlocal next_new
        if next_new <= len(nodes) + NEW_USERS and rng.random() < 0.12:
            # A new user signs up and befriends someone in their community.
            u, next_new = next_new, next_new + 1
            c = rng.randrange(len(COMMUNITIES))
            community[u] = c
            by_community[c].append(u)
            v = degree_pick(by_community[c])
        else:
            u = rng.choice(sorted(community))
            same = rng.random() < 0.85
            pool = by_community[community[u]] if same else sorted(community)
            v = degree_pick(pool)
        if u == v or edge(u, v) in friends:
            return False
        friends.add(edge(u, v))
        log.event(f"+ f {u} {v}")
        return True

    def interaction():
        if rng.random() < 0.9:
            u, v = rng.choice(sorted(friends))
            if rng.random() < 0.5:
                u, v = v, u
        else:
            # A message to someone in the same community who is not (yet) a friend.
            u = rng.choice(sorted(community))
            v = rng.choice(by_community[community[u]])
            if u == v:
                return False
        n = min(1 + int(rng.expovariate(0.6)), 9)
        interactions[(u, v)] = interactions.get((u, v), 0) + n
        log.event(f"+ i {u} {v} {n}")
        return True

    def take_back_interaction():
        pairs = sorted(p for p, n in interactions.items() if n > 0)
        if not pairs:
            return False
        u, v = rng.choice(pairs)
        n = rng.randint(1, interactions[(u, v)])
        interactions[(u, v)] -= n
        log.event(f"- i {u} {v} {n}")
        return True

    def unfriend():
        u, v = rng.choice(sorted(friends))
        friends.remove((u, v))
        log.event(f"- f {u} {v}")
        return True

    # Scheduled events, at these positions in the stream, so that every kind shows up.
    def adopter_joins():
        u = rng.choice([n for n in outsiders if n not in adopters])
        adopters.add(u)
        log.event(f"+ a {u} 3")

    def adopter_leaves():
        # One of the first set, so it is an adopter whichever line of adopters.ap is used.
        u = rng.choice([n for n in adopter_sets[0] if n in adopters])
        adopters.remove(u)
        log.event(f"- a {u}")

    def arc():
        # Between users who are not friends (a "follows"), so the arc is new rather than a
        # second claim on a friendship's arc.
        while True:
            u = rng.choice(nodes)
            v = rng.choice(by_community[community[u]])
            if u != v and edge(u, v) not in friends and (u, v) not in interactions:
                break
        log.comment(f"a one-way arc {u} -> {v} (not friends) with its own probability")
        log.event(f"+ e {u} {v} 0.3")

    def refriend():
        u, v = rng.choice(sorted(friends))
        log.comment(f"no-op on purpose: {u} and {v} are already friends")
        log.event(f"+ f {v} {u}")

    def remove_absent():
        while True:
            u, v = rng.sample(nodes, 2)
            if edge(u, v) not in friends:
                break
        log.comment(f"no-op on purpose: {u} and {v} are not friends (counted as absent)")
        log.event(f"- f {u} {v}")

    def malformed_op():
        u, v = rng.choice(sorted(friends))
        log.comment("next line is malformed on purpose (unknown kind `x`): skipped and counted")
        log.event(f"+ x {u} {v}", counted=False)

    def malformed_id():
        u = rng.choice(nodes)
        log.comment("next line is malformed on purpose (node id `bob` is not a number): skipped and counted")
        log.event(f"+ f {u} bob", counted=False)

    schedule = {
        40: refriend,
        75: arc,
        90: adopter_joins,
        130: remove_absent,
        170: adopter_leaves,
        210: refriend,
        240: adopter_joins,
        270: malformed_op,
        330: refriend,
        360: adopter_joins,
        400: remove_absent,
        430: adopter_leaves,
        470: arc,
        510: adopter_joins,
        560: malformed_id,
    }
    kinds = [new_friendship, interaction, unfriend, take_back_interaction]
    weights = [0.40, 0.47, 0.11, 0.02]
    step = 0
    while log.events < EVENTS:
        step += 1
        if step in schedule:
            schedule[step]()
            continue
        while not rng.choices(kinds, weights=weights)[0]():
            pass

    with open(os.path.join(HERE, "events.log"), "w") as f:
        f.write("# cimflow example event log (examples/make_example.py), to go with friends.txt.\n")
        f.write("# One event a line: [T] OP KIND ARGS, with T the event time in integer seconds:\n")
        f.write("#   + f U V / - f U V    friendship U-V added / removed (both arcs)\n")
        f.write("#   + i U V N            N interactions U -> V (messages, replies)\n")
        f.write("#   - i U V N            N interactions U -> V taken back\n")
        f.write("#   + e U V P            one directed arc U -> V with its own probability P\n")
        f.write("#   + a U K / - a U      U becomes an adopter with capacity K / stops being one\n")
        f.write(f"# Users {len(nodes) + 1}..{len(nodes) + NEW_USERS} are new: they first appear here.\n")
        for line in log.lines:
            f.write(line + "\n")
    return log.events


def main():
    rng = random.Random(SEED)
    community, edges = build_graph(rng)
    write_graph(community, edges)
    adopter_sets = pick_adopters(rng, edges)
    events = write_events(rng, dict(community), edges, adopter_sets)
    print(f"friends.txt: {len(community)} nodes, {len(edges)} edges; "
          f"adopters.ap: sets of {', '.join(str(len(s)) for s in adopter_sets)}; "
          f"events.log: {events} events and 2 malformed lines")


if __name__ == "__main__":
    main()
