#!/usr/bin/env bash
# `make bench`: every benchmark beside its peers, on this machine, in one run, printed as ONE
# table (Benchmarks/table.py). One folder per benchmark, each with main.swift (ckpt's side),
# peers.py (the Python peers) and run.sh (runs both, leaves raw rows in $BENCH_RAW):
#   IO     save/load of a 1 GiB state (64 tensors), a 1 MiB state and 10,000 x 1 KiB tensors vs
#          plain write()/read(), numpy, h5py, safetensors, torch.save/torch.load (and mmap);
#          ckpt_torch.save vs h5py + xxhash. One fresh process per operation, >= 7 runs each.
#   Optim  an optimizer step on 10 M parameters vs PyTorch and the memory bound.
#   Train  LeNet training images/s at batch 4 and 64 vs PyTorch.
#   Async  the training stall per checkpoint: sync save, async save, memcpy of the same bytes
#          at the same point of the loop, PyTorch DCP's async_save (LeNet and a ~1 GiB MLP);
#          its own table in Benchmarks/out/Async.txt.
#   DCP    reading a 1 GiB PyTorch Distributed Checkpoint directory vs dcp_to_torch_save +
#          torch.load; its own table in Benchmarks/out/DCP.txt.
# Peers that are not installed appear as "missing". Each part's own output goes to
# Benchmarks/out/<part>.txt.
# usage: bash Benchmarks/run.sh
#   PYTHON=/path/to/python3   the Python that runs the peers (default: python3 on PATH)
#   BENCH_QUICK=1             a smoke test: small sizes, 3 runs (figures mean nothing)
#   BENCH_PARTS="Optim Train"     run only these parts, in this order (default: IO Optim Train Async DCP)
#   IO_ARGS, TRAIN_ARGS, ELEMENTS, STEPS pass through to the parts.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=Benchmarks/out
export BENCH_RAW=$OUT/raw
rm -rf "$BENCH_RAW"; mkdir -p "$BENCH_RAW"
# The part scripts call `python3`: make that $PYTHON through a one-entry PATH directory. A
# wrapper, not a symlink: a virtual environment's python finds its packages only when run
# by its own path.
if [ -n "${PYTHON:-}" ]; then
  shim=.build/bench-python
  # Written to a new file and renamed into place: writing to an existing shim that is a
  # symlink would overwrite the interpreter it points at.
  mkdir -p "$shim" && rm -f "$shim/python3" "$shim/python3.tmp" &&
    printf '#!/bin/sh\nexec %q "$@"\n' "$(command -v "$PYTHON")" > "$shim/python3.tmp" &&
    chmod +x "$shim/python3.tmp" && mv -f "$shim/python3.tmp" "$shim/python3" && export PATH="$PWD/$shim:$PATH"
fi
if [ -n "${BENCH_QUICK:-}" ]; then
  export ELEMENTS=${ELEMENTS:-1000000} STEPS=${STEPS:-3} TRAIN_ARGS=${TRAIN_ARGS:---threads 1 --batches 4 --seconds 0.3}
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs)
echo "# ckpt benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC') — $(nproc) cores, ${cpu:-unknown CPU}, $(free -g 2>/dev/null | awk '/Mem:/ {print $2 " GiB RAM"}'), python: ${PYTHON:-$(command -v python3)}"
for part in ${BENCH_PARTS:-IO Optim Train Async DCP}; do
  [ -f "Benchmarks/$part/run.sh" ] || continue
  echo "running $part ..." >&2
  args=()
  [ "$part" = IO ] && [ -n "${IO_ARGS:-}" ] && read -r -a args <<< "$IO_ARGS"
  [ "$part" = Train ] && [ -n "${TRAIN_ARGS:-}" ] && read -r -a args <<< "$TRAIN_ARGS"
  bash "Benchmarks/$part/run.sh" "${args[@]}" > "$OUT/$part.txt" 2>&1 || echo "($part benchmark failed: see $OUT/$part.txt)"
done
echo
python3 Benchmarks/table.py "$BENCH_RAW"
echo
echo "ratio = ckpt / peer (above 1: ckpt is faster). Details per part: $OUT/{IO,Optim,Train}.txt"
[ -f "$OUT/Async.txt" ] && { echo; echo "Async checkpoint stall ($OUT/Async.txt):"; cat "$OUT/Async.txt"; }
[ -f "$OUT/DCP.txt" ] && { echo; echo "DCP directory read ($OUT/DCP.txt):"; cat "$OUT/DCP.txt"; }
