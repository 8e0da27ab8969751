#!/usr/bin/env bash
# Builds the libFuzzer target over CheckpointFile.load and runs it for a fixed budget.
#   fuzz/run.sh [SECONDS]      (default 300; CKPT=path/to/ckpt for the containment check)
# Fork mode: libFuzzer keeps going after a crash and keeps every crashing input in
# fuzz/artifacts/. Each crash is then classified by its stack (inside libhdf5, or in Swift
# code: the latter must be 0), and `ckpt verify` is run on it: the CLI must contain it
# (exit 2, "unreadable or corrupt file") instead of dying. The committed corpus is only read.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
budget="${1:-300}"
ckpt="${CKPT:-$here/../.build/release/ckpt}"
cd "$here"
swift build -c release --product fuzz-load \
  -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library \
  -Xcc -fsanitize=fuzzer-no-link >/dev/null || { echo "fuzz build failed" >&2; exit 2; }
bin="$(swift build -c release --show-bin-path)/fuzz-load"
scratch="$(mktemp -d)"; trap 'rm -rf "$scratch" /dev/shm/ckpt-fuzz-*.h5' EXIT
mkdir -p "$scratch/corpus" "$scratch/artifacts"
cp corpus/* "$scratch/corpus/"
log="$scratch/fuzz.log"
(cd "$scratch" && "$bin" corpus -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$budget" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$scratch/artifacts/" >"$log" 2>&1)
last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
execs=$(echo "$last" | sed -E 's/^#([0-9]+):.*/\1/')
cov=$(echo "$last" | sed -E 's/.*cov: ([0-9]+).*/\1/')
crashes=0; in_hdf5=0; in_swift=0; alone=0; contained=0; sites=""
for a in "$scratch"/artifacts/crash-* "$scratch"/artifacts/timeout-* "$scratch"/artifacts/oom-*; do
  [ -e "$a" ] || continue
  crashes=$((crashes + 1))
  stack=$(timeout -s KILL 60 "$bin" -timeout=5 "$a" 2>&1 | grep -E '^ +#[0-9]+ ' | head -12)
  if [ -z "$stack" ]; then
    # Does not crash on its own: damage left by earlier inputs in the same process
    # (libhdf5 corrupting the heap or its free lists); counted apart.
    alone=$((alone + 1))
  elif echo "$stack" | head -8 | grep -q 'libhdf5'; then
    in_hdf5=$((in_hdf5 + 1))
    fn=$(echo "$stack" | grep -o 'in H5[A-Za-z0-9_]*' | head -1 | cut -c4-)
    case " $sites " in *" ${fn:-?} "*) ;; *) sites="$sites ${fn:-?}";; esac
  else
    in_swift=$((in_swift + 1))
    mkdir -p "$here/artifacts"; cp "$a" "$here/artifacts/"
    echo "crash outside libhdf5: $(basename "$a")" >&2; echo "$stack" >&2
  fi
  if [ -x "$ckpt" ]; then
    out=$("$ckpt" verify "$a" 2>&1); rc=$?
    if [ "$rc" -ge 1 ] && [ "$rc" -le 2 ] && [ -n "$out" ]; then contained=$((contained + 1))
    else echo "ckpt verify did not contain $(basename "$a"): exit $rc" >&2; fi
  fi
done
[ -n "$execs" ] || { tail -30 "$log" >&2; execs=0; }
result=PASS
[ "$in_swift" -eq 0 ] && [ "$contained" -eq "$crashes" ] || result=FAIL
echo "fuzzing CheckpointFile.load: ${budget} s, $execs executions, $cov coverage edges;" \
  "$crashes crashing or hanging inputs: $in_swift in Swift code, $in_hdf5 inside libhdf5 1.10 (${sites# })," \
  "$alone only after earlier inputs in the same process;" \
  "$contained of $crashes contained by ckpt verify (exit 1/2 with a message) -> $result"
[ "$result" = PASS ]
