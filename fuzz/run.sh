#!/usr/bin/env bash
# Builds the libFuzzer target over CheckpointFile.load and runs it for a fixed budget.
#   fuzz/run.sh [SECONDS]      (default 300; FUZZ_JOBS=N for N parallel workers)
# Prints executions and crashes; crash inputs land in fuzz/artifacts/. The committed corpus
# in fuzz/corpus/ is only read (new inputs go to a scratch copy).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
budget="${1:-300}"
cd "$here"
swift build -c release --product fuzz-load \
  -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library \
  -Xcc -fsanitize=fuzzer-no-link >/dev/null
bin="$(swift build -c release --show-bin-path)/fuzz-load"
scratch="$(mktemp -d)"; trap 'rm -rf "$scratch" /dev/shm/ckpt-fuzz-*.h5' EXIT
cp corpus/* "$scratch/"
mkdir -p artifacts
log="$scratch/fuzz.log"
set +e
"$bin" "$scratch" -max_total_time="$budget" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$here/artifacts/" -print_final_stats=1 >"$log" 2>&1
rc=$?
set -e
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
crashes=$(grep -c '^==[0-9]*== ERROR: libFuzzer\|^==[0-9]*==ERROR\|SUMMARY: libFuzzer' "$log" || true)
[ "$rc" -eq 0 ] || { tail -40 "$log" >&2; }
result=PASS; [ "$rc" -eq 0 ] || result=FAIL
echo "fuzzing CheckpointFile.load: ${budget} s, $execs executions, coverage $cov edges, $( [ "$rc" -eq 0 ] && echo 0 || echo 1) crashes -> $result"
[ "$rc" -eq 0 ]
