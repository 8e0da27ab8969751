#!/usr/bin/env bash
# Runs every reliability trial and prints the README's reliability table (markdown).
# Budget: about 15 minutes on 2 cores (FUZZ_SECONDS=300 of it fuzzing); QUICK=1 for a smoke run.
#   scripts/reliability/run_all.sh            (CKPT=path/to/ckpt to test another binary)
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CKPT="${CKPT:-$root/.build/release/ckpt}"
if [ ! -x "$CKPT" ]; then
  (cd "$root" && swift build -c release --product ckpt >/dev/null) || { echo "build failed" >&2; exit 2; }
fi
if [ "${QUICK:-0}" = 1 ]; then
  kills=10; flips_data=8; flips_meta=12; fuzz_s=30
else
  kills=60; flips_data=60; flips_meta=90; fuzz_s="${FUZZ_SECONDS:-300}"
fi
logs="$(mktemp -d)"; trap 'rm -rf "$logs"' EXIT
rows=()
trial() { # name, command...
  local name="$1"; shift
  local t0=$SECONDS
  "$@" >"$logs/out" 2>"$logs/err"; local rc=$?
  local line; line="$(tail -n 1 "$logs/out")"
  local verdict=PASS; [ "$rc" -eq 0 ] || verdict=FAIL
  case "$line" in *SKIP*) verdict=SKIP;; esac
  [ "$verdict" = FAIL ] && { echo "--- $name failed:" >&2; tail -n 20 "$logs/err" >&2; }
  echo "$name ($((SECONDS - t0)) s): $line" >&2
  rows+=("| $name | ${line#*: } | $verdict |")
}
trial "Kill -9 at random, resume" env TRIALS=$kills "$here/kill_random.sh"
trial "Full disk" "$here/full_disk.sh"
trial "Bit flips" python3 "$here/bit_flips.py" --data-positions $flips_data --meta-positions $flips_meta
trial "Hostile files" python3 "$here/hostile_files.py"
trial "Bad configs" python3 "$here/bad_configs.py"
trial "Shared run directory" python3 "$here/shared_directory.py"
trial "Fuzzing CheckpointFile.load" "$root/fuzz/run.sh" "$fuzz_s"
echo
echo "| Trial | Figure | Result |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
