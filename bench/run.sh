#!/usr/bin/env bash
# `make bench`: every benchmark side by side with its peers, on this machine, in one run.
# Each part prints its own table; peers that are not installed are reported as missing.
set -uo pipefail
cd "$(dirname "$0")/.."
echo "# ckpt benchmarks — $(date -u +%Y-%m-%d) — $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for part in io optim train; do
  if [ -x "bench/$part.sh" ] || [ -f "bench/$part.sh" ]; then
    echo; echo "## $part"; bash "bench/$part.sh" || echo "($part benchmark failed: exit $?)"
  fi
done
