#!/usr/bin/env bash
# Async checkpoint saves: the training stall per checkpoint of a synchronous save, an async
# save (`"checkpoint": {"async": true}`) and a plain memcpy of the same bytes, on LeNet and on
# an MLP with ~1 GiB of state (weights + SGD momentum). Goal: async stall <= 1.2x memcpy.
# Also "overlap": how much slower the training steps that overlap a background write are, and
# "tree": the part of the stall spent building run.checkpoint() (references, no copy), and
# "call": the save call alone (the stall less the excess of the step after it).
# memcpy copies at each save point into buffers kept from the previous one, as the snapshot
# does (hot_loop_*: the same copy repeated back to back, caches hot; a lower bound).
# Peer: PyTorch's torch.distributed.checkpoint.async_save of the same models (peer_dcp.py,
# skipped without torch). Needs a release build of bench-async.
# usage: Benchmarks/Async/run.sh [--models lenet mlp] [--steps 24] [--every 4] [--mlp-hidden 40960]
#   BENCH_QUICK=1: a small MLP and few steps (figures mean nothing)
set -uo pipefail
cd "$(dirname "$0")/../.."
ARGS=("$@")
if [ ${#ARGS[@]} -eq 0 ]; then
  if [ -n "${BENCH_QUICK:-}" ]; then ARGS=(--steps 8 --every 4 --mlp-hidden 1024); else ARGS=(--steps 24 --every 4); fi
fi
BIN=.build/release/bench-async
[ -x "$BIN" ] || swift build -c release --product bench-async >/dev/null || { echo "cannot build bench-async"; exit 1; }
ours=$("$BIN" "${ARGS[@]}") || { echo "bench-async failed"; exit 1; }
# The same steps, saves and models for the peer (its --mlp-hidden included).
peer=$(python3 Benchmarks/Async/peer_dcp.py "${ARGS[@]}" 2>/dev/null | grep -v '^missing') || peer=""
if [ -n "${BENCH_RAW:-}" ]; then echo "$ours" > "$BENCH_RAW/async.ours"; echo "$peer" > "$BENCH_RAW/async.peer"; fi
ours=$(printf '%s\n%s\n' "$ours" "$peer" | grep -v '^$')
printf "%-6s %-7s %12s %12s %10s %12s %10s %10s  %s\n" model mode "state MiB" "stall ms" overlap "x memcpy" "tree ms" "call ms" "snapshot (async)"
while read -r who m mode b s o tr cl rest; do
  m=${m#model=}; mode=${mode#mode=}
  if [ "$who" = torch ]; then
    # The peer's line: state_bytes stall_ms and the rest, or "missing <why>".
    if [ "$b" = missing ]; then echo "$(printf '%-6s %-7s' "$m" "torch $mode") missing: $s $o $tr $cl $rest"; continue; fi
    rest="$o $tr $cl $rest"; o="-"; tr="-"; cl="-"; mode="torch $mode"
  fi
  b=${b#state_bytes=}; s=${s#stall_ms=}; o=${o#overlap=}; tr=${tr#tree_ms=}; cl=${cl#call_ms=}
  c=$(echo "$ours" | awk -v m="model=$m" '$2==m && $3=="mode=memcpy" {sub("stall_ms=","",$5); print $5}')
  r=$(awk -v s="$s" -v c="$c" 'BEGIN{ if (c > 0) printf "%.2fx", s/c; else print "-" }')
  printf "%-6s %-7s %12.1f %12s %10s %12s %10s %10s  %s\n" "$m" "$mode" "$(awk -v b="$b" 'BEGIN{print b/1048576}')" "$s" "$o" "$r" "$tr" "$cl" "$rest"
done <<< "$ours"
