# Shared helpers for the reliability trials (sourced, not run).
# CKPT: the binary under test (default: the release build of this checkout).
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CKPT="${CKPT:-$ROOT/.build/release/ckpt}"
if [ ! -x "$CKPT" ]; then
  echo "error: $CKPT not found; run 'swift build -c release --product ckpt' or set CKPT" >&2
  exit 2
fi
# One scratch directory per trial, removed on exit unless KEEP=1.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ckpt-reliability.XXXXXX")"
cleanup() { [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" >&2 || rm -rf "$WORK"; }
trap cleanup EXIT

# A small synthetic run: an MLP on 96 samples, batch 8 (12 steps per epoch).
write_tiny_config() { # $1 = path, $2 = epochs, $3 = every_steps
  cat >"$1" <<JSON
{"model": {"type": "mlp", "sizes": [3072, 16, 10]},
 "data": {"dataset": "synthetic", "train_size": 96, "test_size": 32, "batch_size": 8},
 "optimizer": {"type": "Adam", "lr": 0.001},
 "scheduler": {"type": "StepLR", "step_size": 5, "gamma": 0.5, "interval": "step"},
 "epochs": $2, "seed": 7, "checkpoint": {"every_epochs": 1, "every_steps": $3}}
JSON
}

# Prints "| trial | figure | result |" rows; RESULT is PASS/FAIL/SKIP.
figure_row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
