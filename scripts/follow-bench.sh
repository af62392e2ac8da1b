#!/bin/sh
# Follows SNAP's sx-mathoverflow, turned into an event log, from its start to its end, then stops
# the follower and reports its throughput and epoch latencies (see docs/FOLLOW.md).
#
#   scripts/follow-bench.sh WORKERS [LINES [MORE FOLLOW FLAGS...]]
#
# LINES (default: all 506,550) takes a prefix of the log. SINKS=state (default: --output and
# --state), output (--output only) or none (stdout only). Needs a release build, python3, and
# ../shared/data (or DATA=dir).
set -eu
workers=${1:?usage: scripts/follow-bench.sh WORKERS [LINES [FLAGS...]]}
lines=${2:-0}
shift; [ $# -gt 0 ] && shift
data=${DATA:-$(dirname "$0")/../../shared/data}
bin=${CIMFLOW:-$(dirname "$0")/../target/release/cimflow}
[ -f "$data/sx-mathoverflow.txt.gz" ] || { echo "no $data/sx-mathoverflow.txt.gz (set DATA)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "$lines" -gt 0 ]; then
    zcat "$data/sx-mathoverflow.txt.gz" | head -n "$lines" > "$work/log"
else
    zcat "$data/sx-mathoverflow.txt.gz" > "$work/log"
fi
events=$(wc -l < "$work/log")
# Adopters: the 50 users who interact with others most over the whole log.
awk '$1 != $2 {print $1}' "$work/log" | sort | uniq -c | sort -rn | head -n 50 |
    awk '{print $2}' | paste -sd, - > "$work/adopters.ap"

case ${SINKS:-state} in
    state) sinks="--output $work/out --state $work/state" ;;
    output) sinks="--output $work/out" ;;
    none) sinks="" ;;
    *) echo "SINKS is state, output or none" >&2; exit 1 ;;
esac
# shellcheck disable=SC2086
"$bin" follow "$work/log" --adopters "$work/adopters.ap" -k 10 --window 30d -w "$workers" \
    $sinks "$@" > "$work/stdout" 2> "$work/stderr" &
pid=$!
# The status line (every 5 s) counts the log events in emitted epochs.
until grep -q " $events events (" "$work/stderr"; do
    kill -0 "$pid" 2> /dev/null || { cat "$work/stderr"; exit 1; }
    sleep 1
done
grep VmHWM "/proc/$pid/status" || true
kill -TERM "$pid"
wait "$pid"
tail -n 1 "$work/stderr"
python3 - "$work/stdout" <<'PY'
import json, sys
s = [json.loads(l)["summary"] for l in open(sys.argv[1]) if '"summary"' in l][1:]
lat = sorted(x["latency_ms"] for x in s)
q = lambda p: lat[max(0, -(-len(lat) * p // 100) - 1)]
print(f"{len(s)} epochs, {sum(x['events'] for x in s)} events applied (expiries included), "
      f"latency_ms median {q(50):.2f}, p99 {q(99):.2f}, max {lat[-1]:.2f}; "
      f"last θ {s[-1]['theta']}, nodes {s[-1]['nodes']}")
PY
