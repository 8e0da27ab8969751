#!/usr/bin/env bash
# Save/load benchmark: ckpt (bench-io) beside plain write()/read(), numpy, h5py, safetensors and
# torch.save/torch.load, one operation per fresh process, interleaved in rotating order,
# 7 runs each (min, median, max): a 1 GiB state (64 tensors), a 1 MiB state (64 tensors) and
# 10,000 tensors of 1 KiB; plus python/ckpt_torch.save of the 1 GiB state beside h5py + xxhash,
# and `ckpt verify` of the 1 GiB checkpoint beside the page-cache read rate (dd), with its peak RSS.
# How: Benchmarks/IO/driver.py. Peers run under `python3` (Benchmarks/run.sh makes that
# $PYTHON); a package it lacks is reported as missing.
#   bash Benchmarks/IO/run.sh [--runs 7] [--quick] [--dir .build/bench-io]
#   BENCH_QUICK=1 adds --quick (small sizes, 3 runs: a smoke test, the figures mean nothing).
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product bench-io >/dev/null
swift build -c release --product ckpt >/dev/null   # `ckpt verify` is timed too
args=("$@")
[ -n "${BENCH_QUICK:-}" ] && args+=(--quick)
json=.build/bench-io.json
# Benchmarks/run.sh aggregates the raw results of every part into one table.
[ -n "${BENCH_RAW:-}" ] && json=$BENCH_RAW/io.json
python3 Benchmarks/IO/driver.py --bin .build/release/bench-io --ckpt .build/release/ckpt --json "$json" "${args[@]}"
