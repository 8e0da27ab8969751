#!/usr/bin/env bash
# Save/load a 1 GiB state (64 float32 tensors) with ckpt and its peers; prints one table.
#   bash bench/io.sh [--mib 1024] [--tensors 64] [--repeat 3] [--dir .build/bench-io]
# Columns: save without fsync (page cache), save with fsync of the file (ckpt also fsyncs the
# directory), load of the just-written file. GiB/s, best of --repeat. Ratios compare ckpt with
# h5py (targets: save >= 1x, load >= 1x) and with plain write() (target: save >= 0.8x).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product bench-io >/dev/null
ours=$(.build/release/bench-io "$@")
if command -v python3 >/dev/null && python3 -c "import numpy" 2>/dev/null; then
  peers=$(python3 bench/io_peers.py "$@")
else
  peers="python peers|missing|missing|missing|0"
fi
# bench/run.sh aggregates the raw rows of every part into one table.
if [ -n "${BENCH_RAW:-}" ]; then echo "$ours" > "$BENCH_RAW/io.ours"; echo "$peers" > "$BENCH_RAW/io.peers"; fi
printf '%s\n%s\n' "$ours" "$peers" | python3 -c '
import sys
rows = [l.rstrip("\n").split("|") for l in sys.stdin if "|" in l]
def num(x):
    try:
        v = float(x)
        return None if v != v else v
    except ValueError:
        return None
gib = lambda b, s: (b / 2**30) / s if s else None
fmt = lambda v: "   -  " if v is None else f"{v:6.2f}"
print("%-32s %11s %11s %11s" % ("method", "save GiB/s", "save+fsync", "load GiB/s"))
table = {}
for name, s, ss, l, b in rows:
    b = float(b)
    vals = [gib(b, num(x)) if num(x) else None for x in (s, ss, l)]
    table[name] = vals
    if s == "missing":
        print("%-32s %11s" % (name, "missing"))
    else:
        print(f"{name:32} {fmt(vals[0]):>11} {fmt(vals[1]):>11} {fmt(vals[2]):>11}")
ck = table.get("ckpt CheckpointFile (xxh64)")
h5 = table.get("h5py contiguous")
raw = table.get("swift write()/read()")
pyraw = table.get("python write()/read()")
print()
if ck:
    for label, other in (("h5py", h5), ("swift write()", raw), ("python write()", pyraw)):
        if other and all(v is not None for v in other):
            print(f"ckpt / {label:15} save {ck[0]/other[0]:5.2f}x   save+fsync {ck[1]/other[1]:5.2f}x   load {ck[2]/other[2]:5.2f}x")
'
