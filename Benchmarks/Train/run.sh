#!/usr/bin/env bash
# Training throughput: ckpt's bench-train beside PyTorch (Benchmarks/Train/peers.py), same network
# (the CIFAR-10 tutorial LeNet), same data shape (synthetic 32x32x3), same step (zero_grad,
# forward, CrossEntropyLoss, backward, SGD lr=0.001 momentum=0.9), same thread count.
# Prints a table of images/s and the ratio ckpt / PyTorch. Needs a release build of bench-train
# (`swift build -c release --product bench-train`); PyTorch is optional.
# usage: Benchmarks/Train/run.sh [--threads 1 2] [--batches 4 64] [--seconds 3]
set -uo pipefail
cd "$(dirname "$0")/../.."
ARGS=("$@")
[ ${#ARGS[@]} -eq 0 ] && ARGS=(--threads 1 2 --batches 4 64 --seconds 3)
BIN=.build/release/bench-train
[ -x "$BIN" ] || swift build -c release --product bench-train >/dev/null || { echo "cannot build bench-train"; exit 1; }
ours=$("$BIN" "${ARGS[@]}")
if python3 -c "import torch" 2>/dev/null; then
  theirs=$(python3 Benchmarks/Train/peers.py "${ARGS[@]}")
else
  theirs=""
  echo "(PyTorch not installed: pip install torch to see the comparison)"
fi
# Benchmarks/run.sh aggregates the raw rows of every part into one table.
if [ -n "${BENCH_RAW:-}" ]; then echo "$ours" > "$BENCH_RAW/train.ours"; echo "$theirs" > "$BENCH_RAW/train.peers"; fi
printf "%-8s %-6s %14s %14s %8s\n" threads batch "ckpt img/s" "torch img/s" ratio
while read -r _ t b x; do
  t=${t#threads=}; b=${b#batch=}; x=${x#images_per_s=}
  y=$(echo "$theirs" | awk -v t="threads=$t" -v b="batch=$b" '$2==t && $3==b {sub("images_per_s=","",$4); print $4}')
  if [ -n "$y" ]; then r=$(awk -v x="$x" -v y="$y" 'BEGIN{printf "%.2fx", x/y}'); else y="-"; r="-"; fi
  printf "%-8s %-6s %14s %14s %8s\n" "$t" "$b" "$x" "$y" "$r"
done <<< "$ours"
