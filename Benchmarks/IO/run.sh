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
mkdir -p .build/bench-io
printf '%s\n%s\n' "$ours" "$peers" > .build/bench-io/results.txt
python3 bench/io_table.py < .build/bench-io/results.txt
