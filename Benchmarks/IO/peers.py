#!/usr/bin/env python3
"""Peers of bench-io: save/load the same state (N float32 tensors, MIB MiB in total) with
plain write()/read(), h5py (contiguous, default settings), torch.save/torch.load and
safetensors. Prints one machine-readable line per peer (name|save_nosync_s|save_sync_s|load_s|bytes),
best of --repeat runs; a missing package is printed as "name|missing|...".

"nosync" = page-cache throughput (h5py, torch and safetensors never fsync by themselves);
"sync" = the same save followed by fsync of the file, for a fair comparison with ckpt's
durable save. Loads read a warm (just written) file into memory.
"""
import argparse
import os
import time

import numpy as np


def best(n, fn):
    b = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        b = min(b, time.perf_counter() - t0)
    return b


def fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--tensors", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default=".build/bench-io")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    per = a.mib * 1024 * 1024 // 4 // a.tensors
    rng = np.random.default_rng(0)
    state = {f"layer{i}.weight": rng.standard_normal(per, dtype=np.float32) for i in range(a.tensors)}
    total = per * 4 * a.tensors
    rows = []

    # plain write()/read()
    raw = os.path.join(a.dir, "peer.raw")

    def raw_save(sync):
        with open(raw, "wb") as f:
            for v in state.values():
                f.write(memoryview(v).cast("B"))
            f.flush()
            if sync:
                os.fsync(f.fileno())

    def raw_load():
        with open(raw, "rb", buffering=0) as f:
            out = []
            for _ in range(a.tensors):
                arr = np.empty(per, dtype=np.float32)
                f.readinto(memoryview(arr).cast("B"))
                out.append(arr)
        return out

    rows.append(("python write()/read()", best(a.repeat, lambda: raw_save(False)),
                 best(a.repeat, lambda: raw_save(True)), best(a.repeat, raw_load)))
    os.unlink(raw)

    # h5py, contiguous datasets (h5py's default layout)
    try:
        import h5py
        path = os.path.join(a.dir, "peer.h5")

        def h5_save(sync):
            with h5py.File(path, "w") as f:
                g = f.create_group("model")
                for k, v in state.items():
                    g.create_dataset(k, data=v)
            if sync:
                fsync_path(path)

        def h5_load():
            with h5py.File(path, "r") as f:
                g = f["model"]
                return {k: g[k][()] for k in g}

        rows.append(("h5py contiguous", best(a.repeat, lambda: h5_save(False)),
                     best(a.repeat, lambda: h5_save(True)), best(a.repeat, h5_load)))
        os.unlink(path)
    except ImportError:
        rows.append(("h5py contiguous", None, None, None))

    # torch.save / torch.load (zip + pickle; load copies into memory, no mmap)
    try:
        import torch
        path = os.path.join(a.dir, "peer.pt")
        tstate = {k: torch.from_numpy(v) for k, v in state.items()}

        def t_save(sync):
            torch.save(tstate, path)
            if sync:
                fsync_path(path)

        rows.append(("torch.save/load", best(a.repeat, lambda: t_save(False)), best(a.repeat, lambda: t_save(True)),
                     best(a.repeat, lambda: torch.load(path))))
        os.unlink(path)
    except ImportError:
        rows.append(("torch.save/load", None, None, None))

    # safetensors (numpy API; load_file reads the whole file and copies out the arrays)
    try:
        from safetensors.numpy import load_file, save_file
        path = os.path.join(a.dir, "peer.safetensors")

        def s_save(sync):
            save_file(state, path)
            if sync:
                fsync_path(path)

        rows.append(("safetensors", best(a.repeat, lambda: s_save(False)), best(a.repeat, lambda: s_save(True)),
                     best(a.repeat, lambda: load_file(path))))
        os.unlink(path)
    except ImportError:
        rows.append(("safetensors", None, None, None))

    for name, s, ss, l in rows:
        if s is None:
            print(f"{name}|missing|missing|missing|{total}")
        else:
            print(f"{name}|{s}|{ss}|{l}|{total}")


if __name__ == "__main__":
    main()
