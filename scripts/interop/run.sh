#!/usr/bin/env bash
# The interop proofs, both directions, on three configs (the seed's SGD-momentum + ExponentialLR
# per epoch; Adam + OneCycleLR per step; Adam + MultiStepLR with a repeated milestone, whose
# milestones are a Counter with int keys), plus a safetensors round trip through the reference
# `safetensors` package. Needs torch, h5py, numpy (and safetensors for the last part).
# usage: scripts/interop/run.sh            (exit 0 when every proof passes)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
swift build -c release --product ckpt >/dev/null || exit 2
CKPT=$ROOT/.build/release/ckpt
WORK=$(mktemp -d /tmp/ckpt-interop.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 -c "import torch, h5py, numpy" 2>/dev/null || { echo "interop proofs need torch, h5py and numpy: skipped"; exit 0; }

python3 -c "import sys; sys.path.insert(0, 'scripts/interop'); import common; common.make_data('$WORK/data.h5', 64)"
cat > "$WORK/sgd.json" <<JSON
{"model": {"type": "lenet"},
 "data": {"dataset": "hdf5", "path": "$WORK/data.h5", "batch_size": 8, "shuffle": false},
 "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9},
 "scheduler": {"type": "ExponentialLR", "gamma": 0.9, "interval": "epoch"},
 "epochs": 4, "seed": 0}
JSON
cat > "$WORK/adam.json" <<JSON
{"model": {"type": "lenet"},
 "data": {"dataset": "hdf5", "path": "$WORK/data.h5", "batch_size": 16, "shuffle": false},
 "optimizer": {"type": "Adam", "lr": 0.001, "betas": [0.9, 0.99], "weight_decay": 0.0001},
 "scheduler": {"type": "OneCycleLR", "max_lr": 0.01, "total_steps": 16, "interval": "step"},
 "epochs": 4, "seed": 0}
JSON

cat > "$WORK/multistep.json" <<JSON
{"model": {"type": "lenet"},
 "data": {"dataset": "hdf5", "path": "$WORK/data.h5", "batch_size": 16, "shuffle": false},
 "optimizer": {"type": "Adam", "lr": 0.001},
 "scheduler": {"type": "MultiStepLR", "milestones": [1, 1, 3], "gamma": 0.5, "interval": "epoch"},
 "epochs": 4, "seed": 0}
JSON

status=0
for cfg in sgd adam multistep; do
  python3 scripts/interop/torch_continues_ckpt.py --ckpt "$CKPT" --config "$WORK/$cfg.json" --work "$WORK/$cfg-1" || status=1
  python3 scripts/interop/ckpt_continues_torch.py --ckpt "$CKPT" --config "$WORK/$cfg.json" --work "$WORK/$cfg-2" || status=1
done

if python3 -c "import safetensors" 2>/dev/null; then
  "$CKPT" convert "$WORK/sgd-1/ckpt-train/epoch-2.h5" "$WORK/m.safetensors" >/dev/null &&
  python3 - "$WORK" <<'PY' || status=1
import sys; sys.path.insert(0, "python")
import numpy as np, ckpt_torch
from safetensors.numpy import load_file, save_file
w = sys.argv[1]
ours, theirs = ckpt_torch.read(f"{w}/sgd-1/ckpt-train/epoch-2.h5")["model"], load_file(f"{w}/m.safetensors")
assert list(theirs) and all(np.array_equal(ours[k], theirs[k]) and ours[k].dtype == theirs[k].dtype for k in ours) and set(ours) == set(theirs)
save_file({k: v * 2 for k, v in theirs.items()}, f"{w}/back.safetensors")
print(f"safetensors: ckpt convert -> safetensors.numpy.load_file: {len(theirs)} tensors identical")
PY
  "$CKPT" convert "$WORK/back.safetensors" "$WORK/back.h5" >/dev/null &&
  python3 - "$WORK" <<'PY' || status=1
import sys; sys.path.insert(0, "python")
import numpy as np, ckpt_torch
w = sys.argv[1]
a, b = ckpt_torch.read(f"{w}/sgd-1/ckpt-train/epoch-2.h5")["model"], ckpt_torch.read(f"{w}/back.h5")["model"]
assert set(a) == set(b) and all(np.array_equal(a[k] * 2, b[k]) for k in a)
print(f"safetensors: safetensors.numpy.save_file -> ckpt convert -> checkpoint: {len(b)} tensors identical")
PY
else
  echo "safetensors package missing: safetensors round trip skipped"
fi
[ $status = 0 ] && echo "interop: all proofs PASS" || echo "interop: FAILED"
exit $status
