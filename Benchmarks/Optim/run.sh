#!/usr/bin/env bash
# Optimizer step throughput: ckpt (bench-optim) beside PyTorch (Benchmarks/Optim/peers.py), one run,
# single thread, 10 M float32 parameters. Prints a Markdown table with ratios and the share of
# the memory-bandwidth bound: bound = triad memory traffic per second (measured in the same
# run, write-allocate included) / bytes each optimizer step moves per element. Ratios compare
# medians; the share of the bound compares best steps with the best triad (both the least
# disturbed by other processes).
set -uo pipefail
cd "$(dirname "$0")/../.."
ELEMENTS=${ELEMENTS:-10000000}
STEPS=${STEPS:-10}
swift build -c release --product bench-optim >/dev/null || { echo "bench-optim failed to build"; exit 1; }
ours=$(.build/release/bench-optim --elements "$ELEMENTS" --steps "$STEPS") || exit 1
theirs=""
if python3 -c "import torch" 2>/dev/null; then
  theirs=$(python3 Benchmarks/Optim/peers.py --elements "$ELEMENTS" --steps "$STEPS")
else
  echo "(PyTorch not installed: its column is empty)"
fi
# Benchmarks/run.sh aggregates the raw rows of every part into one table.
if [ -n "${BENCH_RAW:-}" ]; then echo "$ours" > "$BENCH_RAW/optim.ours"; echo "$theirs" > "$BENCH_RAW/optim.peers"; fi
{ echo "$ours" | sed 's/^/ours /'; echo "$theirs" | sed 's/^/theirs /'; } | awk -v n="$ELEMENTS" -v steps="$STEPS" '
  { v[$1 " " $2] = $3 }
  END {
    traffic = v["ours triad_traffic_bytes_per_s"]; stream = v["ours triad_stream_bytes_per_s"]
    printf "STREAM triad (same run): %.1f GB/s as STREAM counts it, %.1f GB/s of memory traffic; %d elements, median of %d steps, 1 thread; PyTorch %s (%s)\n\n", \
      stream / 1e9, traffic / 1e9, n, steps, v["theirs torch"], v["theirs cpu_capability"]
    print "| optimizer | ckpt M elem/s | PyTorch M elem/s | ckpt / PyTorch | bytes/elem | bound M elem/s | ckpt best % of bound |"
    print "|---|---|---|---|---|---|---|"
    split("sgd_momentum adam", names, " ")
    for (i = 1; i <= 2; i++) {
      k = names[i]; o = v["ours " k "_elements_per_s"]; t = v["theirs " k "_elements_per_s"]
      best = v["ours " k "_best_elements_per_s"]
      b = v["ours " k "_bytes_per_element"]; bound = traffic / b
      ts = t > 0 ? sprintf("%.0f", t / 1e6) : "-"; r = t > 0 ? sprintf("%.2fx", o / t) : "-"
      printf "| %s | %.0f | %s | %s | %d | %.0f | %.0f%% |\n", k, o / 1e6, ts, r, b, bound / 1e6, 100 * best / bound
    }
  }'
