#!/usr/bin/env python3
"""Regenerates fuzz/corpus/ (small seeds, committed): a checkpoint written by `ckpt train`
(with its manifest), the same content rewritten by h5py without a manifest (so mutations reach
the HDF5 parser and the state reader instead of failing the manifest hash), and a few
ckpt-shaped h5py files with nested groups, lists, tuples and odd dtypes.

Usage: fuzz/make_corpus.py [CKPT_BINARY]
"""
import json, os, shutil, subprocess, sys, tempfile

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
ckpt = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", ".build/release/ckpt")
out = os.path.join(here, "corpus")
work = tempfile.mkdtemp()
try:
    cfg = {"model": {"type": "mlp", "sizes": [3072, 1, 10]},
           "data": {"dataset": "synthetic", "train_size": 4, "test_size": 0, "batch_size": 2},
           "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9},
           "scheduler": {"type": "StepLR", "step_size": 1, "gamma": 0.5},
           "epochs": 1, "seed": 0}
    open(os.path.join(work, "c.json"), "w").write(json.dumps(cfg))
    subprocess.run([ckpt, "train", "--config", os.path.join(work, "c.json"), "--out", os.path.join(work, "r")],
                   check=True, capture_output=True)
    os.makedirs(out, exist_ok=True)
    src = os.path.join(work, "r", "epoch-1.h5")
    shutil.copy(src, os.path.join(out, "ckpt-train-mlp.h5"))

    def rewrite(name, mutate=lambda f: None, libver=("earliest", "v110")):
        with h5py.File(src, "r") as s, h5py.File(os.path.join(out, name), "w", libver=libver) as d:
            for k, v in s.attrs.items():
                d.attrs[k] = v
            for k in s:
                s.copy(s[k], d, k)
            mutate(d)

    rewrite("h5py-no-manifest.h5")
    rewrite("h5py-latest-format.h5", libver=("latest", "latest"))

    def odd(f):
        g = f.create_group("model/nested/deeper")
        g.attrs["x"] = np.float64(1.5)
        f["model/nested"].attrs["__ckpt_kind__"] = "list"
        f["model/h"] = np.zeros(3, np.float16)
        f["model/s"] = h5py.Empty("f4")
        f.attrs["__ckpt_tuples__"] = np.array([b"config"], dtype=h5py.string_dtype())
    rewrite("h5py-odd-shapes.h5", odd)
    for n in sorted(os.listdir(out)):
        print(n, os.path.getsize(os.path.join(out, n)))
finally:
    shutil.rmtree(work)
