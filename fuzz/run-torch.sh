#!/usr/bin/env bash
# Builds the libFuzzer target over TorchFile.read (zip + restricted unpickler + tensors, in
# memory; inputs that are not a zip go to the DCP .metadata reader) and runs it for a fixed
# budget on the corpus of real torch.save files and PyTorch-written .metadata files.
#   fuzz/run-torch.sh [SECONDS]      (default 300)
# A crash, hang (> 10 s) or OOM (> 2 GiB) of the fuzzing process is a failure (must be 0);
# crashing inputs are copied to fuzz/artifacts/. The committed corpus is only read.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
budget="${1:-300}"
cd "$here"
bin="$(./build.sh fuzz-torch)" || exit 2
scratch="$(mktemp -d)"; trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/corpus" "$scratch/artifacts"
cp corpus-torch/* "$scratch/corpus/"
log="$scratch/fuzz.log"
(cd "$scratch" && "$bin" corpus -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$budget" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$scratch/artifacts/" >"$log" 2>&1)
last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
execs=$(echo "$last" | sed -E 's/^#([0-9]+):.*/\1/')
cov=$(echo "$last" | sed -E 's/.*cov: ([0-9]+).*/\1/')
crashes=0
for a in "$scratch"/artifacts/crash-* "$scratch"/artifacts/timeout-* "$scratch"/artifacts/oom-*; do
  [ -e "$a" ] || continue
  crashes=$((crashes + 1))
  mkdir -p "$here/artifacts"; cp "$a" "$here/artifacts/"
  echo "crash of the fuzzing process: $(basename "$a")" >&2
  timeout -s KILL 60 "$bin" -timeout=10 "$a" 2>&1 | grep -E '^ +#[0-9]+ ' | head -12 >&2
done
[ -n "$execs" ] || { tail -30 "$log" >&2; execs=0; }
result=PASS
[ "$crashes" -eq 0 ] || result=FAIL
echo "fuzzing TorchFile.read and the DCP .metadata reader: ${budget} s, $execs executions, $cov coverage edges;" \
  "$crashes crashes, hangs or OOMs of the fuzzing process -> $result"
[ "$result" = PASS ]
