#!/usr/bin/env bash
# Reading a PyTorch Distributed Checkpoint directory into memory: ckpt's DCPDirectory.read
# (bench-dcp) against PyTorch's way without a process group, dcp_to_torch_save + torch.load
# (peers.py). The directory (64 float32 tensors, 1 GiB by default) is written by dcp.save; one
# fresh process per read, RUNS runs each (page cache warm after the first), median (min-max).
# Goal: ckpt at least as fast. Needs torch to write the directory; without it: "missing".
# usage: Benchmarks/DCP/run.sh [MIB]     RUNS=7; BENCH_QUICK=1: 16 MiB, 3 runs (figures mean nothing)
set -uo pipefail
cd "$(dirname "$0")/../.."
MIB=${1:-1024}; RUNS=${RUNS:-7}
if [ -n "${BENCH_QUICK:-}" ]; then MIB=${1:-16}; RUNS=3; fi
BIN=.build/release/bench-dcp
[ -x "$BIN" ] || swift build -c release --product bench-dcp >/dev/null || { echo "cannot build bench-dcp"; exit 1; }
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
dir="$scratch/dcp"
made=$(python3 Benchmarks/DCP/peers.py make "$dir" "$MIB") || { echo "DCP: missing torch (cannot write the directory): $made"; exit 0; }
ours=(); theirs=()
for _ in $(seq "$RUNS"); do
  ours+=("$("$BIN" "$dir" | sed -E 's/.*seconds=//')")
  theirs+=("$(python3 Benchmarks/DCP/peers.py read "$dir" | sed -E 's/.*seconds=//')")
done
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.3f %.3f %.3f", a[int((NR+1)/2)], a[1], a[NR]}'; }
read -r om omin omax <<< "$(stats "${ours[@]}")"
read -r tm tmin tmax <<< "$(stats "${theirs[@]}")"
if [ -n "${BENCH_RAW:-}" ]; then
  printf '%s\n' "${ours[@]}" > "$BENCH_RAW/dcp.ours"; printf '%s\n' "${theirs[@]}" > "$BENCH_RAW/dcp.torch"
fi
printf "%-44s %22s %22s %8s\n" "read a ${MIB} MiB DCP directory (s)" "ckpt" "torch" "ratio"
printf "%-44s %22s %22s %8s\n" "median (min-max) of $RUNS fresh processes" "$om ($omin-$omax)" "$tm ($tmin-$tmax)" \
  "$(awk -v a="$om" -v b="$tm" 'BEGIN{ if (a > 0) printf "%.2fx", b/a; else print "-" }')"
echo "ratio = torch / ckpt (above 1: ckpt is faster); torch = dcp_to_torch_save + torch.load(weights_only=True)"
