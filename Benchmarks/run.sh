#!/usr/bin/env bash
# `make bench`: every benchmark beside its peers, on this machine, in one run, printed as ONE
# table (bench/table.py): save/load of a 1 GiB state (64 tensors) vs h5py, torch.save/load,
# safetensors and plain write()/read(); an optimizer step on 10 M parameters vs PyTorch and the
# STREAM-triad bound; LeNet training images/s at batch 4 and 64 vs PyTorch. Peers that are not
# installed appear as "missing". Each part's own detailed table goes to bench/out/<part>.txt.
# usage: bash bench/run.sh        (IO_ARGS, TRAIN_ARGS, ELEMENTS, STEPS pass through to the parts)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
export BENCH_RAW=$OUT/raw
rm -rf "$BENCH_RAW"; mkdir -p "$BENCH_RAW"
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs)
echo "# ckpt benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC') — $(nproc) cores, ${cpu:-unknown CPU}, $(free -g 2>/dev/null | awk '/Mem:/ {print $2 " GiB RAM"}')"
for part in io optim train; do
  [ -f "bench/$part.sh" ] || continue
  echo "running $part ..." >&2
  args=()
  [ "$part" = io ] && [ -n "${IO_ARGS:-}" ] && read -r -a args <<< "$IO_ARGS"
  [ "$part" = train ] && [ -n "${TRAIN_ARGS:-}" ] && read -r -a args <<< "$TRAIN_ARGS"
  bash "bench/$part.sh" "${args[@]}" > "$OUT/$part.txt" 2>&1 || echo "($part benchmark failed: see $OUT/$part.txt)"
done
echo
python3 bench/table.py "$BENCH_RAW"
echo
echo "ratio = ckpt / peer (above 1: ckpt is faster). Details per part: $OUT/{io,optim,train}.txt"
