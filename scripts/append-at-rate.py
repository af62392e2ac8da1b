"""Appends the lines of SRC to DST at RATE lines a second (every 10 ms, the lines due), for at most
SECONDS: a stand-in for a live writer when measuring `cimflow follow` (docs/FOLLOW.md).

    python3 scripts/append-at-rate.py SRC DST RATE [SECONDS]
"""
import sys
import time

src, dst, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else float("inf")
lines = open(src, "rb").readlines()
out = open(dst, "ab", buffering=0)
start, done = time.time(), 0
while done < len(lines) and time.time() - start < seconds:
    due = min(int((time.time() - start) * rate), len(lines))
    if due > done:
        out.write(b"".join(lines[done:due]))
        done = due
    time.sleep(0.01)
print(f"appended {done} lines in {time.time() - start:.1f} s", file=sys.stderr)
