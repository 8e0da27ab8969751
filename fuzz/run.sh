#!/usr/bin/env bash
# Builds the libFuzzer target over CheckpointFile.load and runs it for a fixed budget.
#   fuzz/run.sh [SECONDS]      (default 300)
# Fork mode: libFuzzer keeps going after a crash and keeps every crashing input. A crash,
# hang or OOM of the fuzzing process is a failure (must be 0), classified by its stack (inside
# libhdf5, or in Swift code) and copied to fuzz/artifacts/. Inputs on which libhdf5 crashed or
# hung inside the isolated probe's child (CheckpointFile.load turned that into an error) are
# counted as contained, then all replayed once more in one process, which must survive them.
# The committed corpus is only read.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
budget="${1:-300}"
cd "$here"
bin="$(./build.sh fuzz-load)" || exit 2
# Isolated copies go to memory too (each is unlinked as soon as it is open).
[ -w /dev/shm ] && export TMPDIR=/dev/shm
scratch="$(mktemp -d)"; trap 'rm -rf "$scratch" /dev/shm/ckpt-fuzz-*.h5' EXIT
mkdir -p "$scratch/corpus" "$scratch/artifacts" "$scratch/contained"
cp corpus/* "$scratch/corpus/"
log="$scratch/fuzz.log"
(cd "$scratch" && CKPT_FUZZ_CONTAINED="$scratch/contained" "$bin" corpus -fork=1 \
  -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$budget" -timeout=30 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$scratch/artifacts/" >"$log" 2>&1)
last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
execs=$(echo "$last" | sed -E 's/^#([0-9]+):.*/\1/')
cov=$(echo "$last" | sed -E 's/.*cov: ([0-9]+).*/\1/')
crashes=0; in_hdf5=0; in_swift=0; alone=0
for a in "$scratch"/artifacts/crash-* "$scratch"/artifacts/timeout-* "$scratch"/artifacts/oom-*; do
  [ -e "$a" ] || continue
  crashes=$((crashes + 1))
  mkdir -p "$here/artifacts"; cp "$a" "$here/artifacts/"
  stack=$(timeout -s KILL 60 "$bin" -timeout=30 "$a" 2>&1 | grep -E '^ +#[0-9]+ ' | head -12)
  if [ -z "$stack" ]; then alone=$((alone + 1))       # only after earlier inputs in the process
  elif echo "$stack" | head -8 | grep -q 'libhdf5'; then in_hdf5=$((in_hdf5 + 1))
  else in_swift=$((in_swift + 1)); fi
  echo "crash of the fuzzing process: $(basename "$a")" >&2; echo "$stack" >&2
done
if [ "$crashes" -gt 0 ]; then  # the fork-mode job logs hold the stacks of crashes seen in context
  mkdir -p "$here/artifacts/logs"; cp "$scratch"/*.log "$here/artifacts/logs/" 2>/dev/null
  grep -l -E 'ERROR: libFuzzer|==[0-9]+== ERROR' "$scratch"/*.log 2>/dev/null | while read -r l; do
    grep -E -A24 'ERROR: libFuzzer|==[0-9]+== ERROR|deadly signal' "$l" | head -40 >&2; done
fi
probe_crash=$(find "$scratch/contained" -name 'crash-*' | wc -l)
probe_hang=$(find "$scratch/contained" -name 'hang-*' | wc -l)
probe_heap=$(find "$scratch/contained" -name 'heap-*' | wc -l)
probe_memory=$(find "$scratch/contained" -name 'memory-*' | wc -l)
contained=$((probe_crash + probe_hang + probe_heap + probe_memory))
# Replay every contained input in one process (no fuzzing): it must survive all of them.
replay=ok
if [ "$contained" -gt 0 ]; then
  if ! timeout -s KILL 1200 "$bin" -runs=0 -timeout=30 -rss_limit_mb=2048 "$scratch/contained" >"$scratch/replay.log" 2>&1; then
    replay=FAILED
    mkdir -p "$here/artifacts/contained"; cp "$scratch/contained"/* "$here/artifacts/contained/"
    cp "$scratch/replay.log" "$here/artifacts/"
    grep -E -A30 'ERROR|deadly signal' "$scratch/replay.log" | head -40 >&2
  fi
fi
[ -n "$execs" ] || { tail -30 "$log" >&2; execs=0; }
result=PASS
[ "$crashes" -eq 0 ] && [ "$replay" = ok ] || result=FAIL
echo "fuzzing CheckpointFile.load: ${budget} s, $execs executions, $cov coverage edges;" \
  "$crashes crashes, hangs or OOMs of the fuzzing process ($in_swift in Swift code, $in_hdf5 inside libhdf5," \
  "$alone only after earlier inputs);" \
  "$contained distinct inputs contained by the isolated probe (libhdf5 crashed on $probe_crash," \
  "hung on $probe_hang, ran out of memory on $probe_memory; $probe_heap refused for a corrupt global heap)," \
  "replayed in one process: $replay -> $result"
[ "$result" = PASS ]
