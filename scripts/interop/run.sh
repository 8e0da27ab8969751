#!/usr/bin/env bash
# The interop proofs against real PyTorch, as one pytest run (the tests hold the logic; this is
# the driver):
#   python/tests/test_resume_matrix.py  every optimizer x scheduler, both directions: lr bit for
#                                       bit, types of every state-dict value, parameters and
#                                       optimizer state within float32 tolerance, `ckpt diff`
#   python/tests/test_key_types.py      int keys, Counters, tuples; the MultiStepLR case
#   python/tests/test_lenet_interop.py  the seed's LeNet both ways; the safetensors round trip
# Needs torch, h5py, numpy (safetensors for the last test); what cannot run is reported as
# skipped. `make test` runs the same files.
# usage: scripts/interop/run.sh [pytest arguments, e.g. -k Adam]   (PYTHON=... picks the Python)
set -uo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product ckpt >/dev/null || exit 2
"${PYTHON:-python3}" -m pytest -q -rs -p no:cacheprovider \
  python/tests/test_resume_matrix.py python/tests/test_key_types.py python/tests/test_lenet_interop.py "$@"
