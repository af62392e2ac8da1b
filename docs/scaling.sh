#!/usr/bin/env bash
# Measures what docs/SCALING.md reports: cold start and events per second of `cimflow run` for
# each layout of workers (1 process × 1 or 2 threads, 2 processes × 1 thread on loopback).
#
#   cargo build --release && docs/scaling.sh [DATA_DIR]     (DATA_DIR: default ../shared/data)
#
# Each figure is the median of 3 runs. Needs bash, awk, jq, zcat, and ports 2101-2102 free.
# No pipefail: `head` ends the pipelines that read a graph early, on purpose.
set -eu

data=${1:-../shared/data}
bin=target/release/cimflow
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# derive GRAPH N LINES: events from the graph's first LINES arcs, line i (from 1) giving
# `- f u v` (i % 4 = 0), `+ i u v` (1), `+ f u (7u + 13v + i) % N` (2), and the friendship removed
# at line i - 39 added back (3). tests/cluster.rs has the same rule.
derive() {
    zcat "$1" | tr -d '\r' | grep -v '^#' | head -n "$3" | awk -v n="$2" '
        { i = NR }
        i % 4 == 0 { print "- f", $1, $2; r[i] = $1 " " $2 }
        i % 4 == 1 { print "+ i", $1, $2 }
        i % 4 == 2 { print "+ f", $1, ($1 * 7 + $2 * 13 + i) % n }
        i % 4 == 3 { if (i > 39) print "+ f", r[i - 39]; else print "+ i", $2, $1 }'
}

# run LAYOUT OUT ARGS...: one run laid out as LAYOUT (1x1, 1x2 or 2x1), stdout to OUT.
run() {
    local layout=$1 out=$2
    shift 2
    case $layout in
        1x*) "$bin" "$@" -w "${layout#1x}" >"$out" 2>/dev/null ;;
        2x1)
            "$bin" "$@" -n 2 -p 1 >/dev/null 2>&1 &
            "$bin" "$@" -n 2 -p 0 >"$out" 2>/dev/null
            wait
            ;;
    esac
}

# seconds COMMAND...: wall-clock seconds the command takes.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }'
}

median() { sort -g | sed -n 2p; }

# measure NAME EVENTS ARGS...: a table row per layout.
measure() {
    local name=$1 events=$2
    shift 2
    for layout in 1x1 1x2 2x1; do
        local cold=() rate=() wall=()
        for _ in 1 2 3; do
            cold+=("$(seconds run "$layout" "$tmp/cold.out" "$@")")
            wall+=("$(seconds run "$layout" "$tmp/run.out" "$@" --events "$events")")
            # Events applied per second of epoch latency, epoch 0 (the initial graph) left out.
            rate+=("$(jq -s '[.[] | select(.summary and .epoch > 0) | .summary]
                | (map(.events) | add) / (map(.latency_ms) | add) * 1000 | floor' "$tmp/run.out")")
        done
        printf '| %s | %s | %s s | %s s | %s |\n' "$name" "$layout" \
            "$(printf '%s\n' "${cold[@]}" | median)" \
            "$(printf '%s\n' "${wall[@]}" | median)" \
            "$(printf '%s\n' "${rate[@]}" | median)"
    done
}

derive "$data/dnc-corecipient.txt.gz" 906 24170 >"$tmp/dnc.log"
derive "$data/soc-Slashdot0902.txt.gz" 82168 200000 >"$tmp/slashdot.log"
head -n 20000 "$tmp/slashdot.log" >"$tmp/slashdot-20k.log"
# 50 adopters: every 200th distinct source id.
zcat "$data/soc-Slashdot0902.txt.gz" | tr -d '\r' | grep -v '^#' | awk '{ print $1 }' |
    sort -un | awk 'NR % 200 == 0' | head -n 50 | paste -sd, >"$tmp/slashdot.ap"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo
echo '| workload | processes × threads | cold start | run | events/s |'
echo '|---|---|---|---|---|'
measure "dnc-corecipient, batch 100" "$tmp/dnc.log" \
    run --graph "$data/dnc-corecipient.txt.gz" --adopters "$data/dnc-corecipient.ap" \
    --adopter-set 3 -k 10 --batch 100
measure "soc-Slashdot0902, batch 1000" "$tmp/slashdot.log" \
    run --graph "$data/soc-Slashdot0902.txt.gz" --adopters "$tmp/slashdot.ap" -k 10 --batch 1000
measure "soc-Slashdot0902, uniform:0.02, batch 1000" "$tmp/slashdot-20k.log" \
    run --graph "$data/soc-Slashdot0902.txt.gz" --adopters "$tmp/slashdot.ap" -k 10 \
    --model uniform:0.02 --batch 1000
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
