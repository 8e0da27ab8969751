"""Writes two ckpt checkpoints of `mib` MiB each (64 float32 tensors, python/ckpt_torch.py),
the second with every other tensor perturbed at every 97th element. Usage:
make_pair.py DIR MIB"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import ckpt_torch  # noqa: E402


def write(path, mib, perturb):
    n = 64
    per = mib * (1 << 20) // 4 // n
    rng = np.random.default_rng(0)
    model = {}
    for i in range(n):
        a = rng.standard_normal(per, dtype=np.float32).reshape(per // 1024, 1024)
        if perturb and i % 2 == 0:
            a[::97] += np.float32(perturb)
        model[f"layer{i}.weight"] = a
    ckpt_torch.write(path, {"model": model}, durable=False)


if __name__ == "__main__":
    directory, mib = sys.argv[1], int(sys.argv[2])
    os.makedirs(directory, exist_ok=True)
    for name, perturb in (("a.h5", 0.0), ("b.h5", 1e-3)):
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            write(path, mib, perturb)
