"""The numpy peer of `ckpt diff` on two model checkpoints: for every tensor in both files,
the number of differing elements, max |a-b| and max |a-b|/|b| over finite pairs, and NaN/Inf
mismatches; read with h5py one tensor at a time (as `ckpt diff` streams). Usage:
numpy_diff.py A B"""
import sys

import h5py
import numpy as np


def compare(a, b):
    """As ckpt diff does: only elements whose stored values differ are converted and measured."""
    idx = np.flatnonzero(a != b)
    x, y = a.ravel()[idx].astype(np.float64), b.ravel()[idx].astype(np.float64)
    xn, yn = np.isnan(x), np.isnan(y)
    nan_mismatch = int(np.count_nonzero(xn ^ yn))
    keep = ~(xn & yn)
    x, y, xn, yn = x[keep], y[keep], xn[keep], yn[keep]
    finite = np.isfinite(x) & np.isfinite(y)
    inf_mismatch = int(np.count_nonzero(~finite & ~xn & ~yn & (x != y)))
    d = np.abs(x[finite] - y[finite])
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = d / np.abs(y[finite])
    differing = int(np.count_nonzero(~(x == y)))
    return differing, float(d.max(initial=0)), float(rel.max(initial=0)), nan_mismatch, inf_mismatch


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
