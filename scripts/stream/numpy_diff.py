"""The numpy peer of `ckpt diff` on two model checkpoints: for every tensor in both files,
the number of differing elements, max |a-b| and max |a-b|/|b| over finite pairs, and NaN/Inf
mismatches; read with h5py one tensor at a time (as `ckpt diff` streams). Usage:
numpy_diff.py A B"""
import sys

import h5py
import numpy as np


def compare(a, b):
    differ = a != b
    both_nan = np.isnan(a) & np.isnan(b)
    differ &= ~both_nan
    finite = np.isfinite(a) & np.isfinite(b)
    d = np.abs(a - b, where=finite, out=np.zeros(a.shape, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(finite & differ, d / np.abs(b), 0.0)
    nan_mismatch = int(np.count_nonzero(np.isnan(a) ^ np.isnan(b)))
    inf_mismatch = int(np.count_nonzero(~finite & differ & ~np.isnan(a) & ~np.isnan(b)))
    return int(np.count_nonzero(differ)), float(d.max(initial=0)), float(rel.max(initial=0)), nan_mismatch, inf_mismatch


def main(pa, pb):
    differing = 0
    with h5py.File(pa, "r") as fa, h5py.File(pb, "r") as fb:
        for name, da in fa["model"].items():
            if name not in fb["model"]:
                differing += 1
                continue
            a, b = da[()], fb["model"][name][()]
            n, max_abs, max_rel, nans, infs = compare(a, b)
            if n:
                differing += 1
                print(f"model/{name}: {n} of {a.size} differ, max abs {max_abs:.6g}, max rel {max_rel:.6g}, nan {nans}, inf {infs}")
    print(f"{differing} differences found")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
