"""Shared pieces of the two interop proofs (scripts/interop/*.py): the seed's LeNet in PyTorch,
the HDF5 data file both sides read, optimizer/scheduler construction from a ckpt run config,
and the PyTorch training loop with the same order of events as `ckpt train`
(docs/CONFIG.md "When things happen")."""
import argparse
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import ckpt_torch  # noqa: E402,F401


from ckpt_lenet import Net  # noqa: E402,F401


def proof_args():
    """The proofs' command line: --ckpt BINARY --config CFG --work DIR [--first 2 --total 4].
    Returns the parsed arguments and the run config."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--first", type=int, default=2)
    ap.add_argument("--total", type=int, default=4)
    a = ap.parse_args()
    with open(a.config) as f:
        return a, json.load(f)


def make_data(path, n, seed=0):
    """An HDF5 data file as `data.dataset: "hdf5"` reads it: uint8 images [n, 3, 32, 32], int64 labels."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        f["images"] = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        f["labels"] = rng.integers(0, 10, n).astype(np.int64)


def load_data(path):
    """The samples normalised as the seed (and ckpt) do, in float32: (x / 255 - 0.5) / 0.5."""
    with h5py.File(path, "r") as f:
        images = torch.from_numpy(f["images"][()]).float()
        labels = torch.from_numpy(f["labels"][()])
    return (images / 255 - 0.5) / 0.5, labels


def build_optimizer(cfg, model):
    kw = {k: (tuple(v) if k == "betas" else v) for k, v in cfg.items() if k not in ("type", "param_groups")}
    assert cfg.get("param_groups") is None, "the proof uses one param group"
    return getattr(torch.optim, cfg["type"])(model.parameters(), **kw)


def build_scheduler(cfg, optimizer):
    if cfg is None:
        return None
    kw = {k: v for k, v in cfg.items() if k not in ("type", "interval", "metric")}
    if cfg["type"] in ("SequentialLR", "ChainedScheduler"):
        kw["schedulers"] = [build_scheduler(c, optimizer) for c in cfg["schedulers"]]
    return getattr(torch.optim.lr_scheduler, cfg["type"])(optimizer, **kw)


def train_epochs(model, opt, sched, cfg, images, labels, first_epoch, last_epoch):
    """Epochs [first_epoch, last_epoch) without shuffling, as `ckpt train` with `shuffle: false`
    runs them. Returns the lr each step used ([steps][groups]) and each step's loss."""
    per_step = sched is not None and cfg["scheduler"].get("interval", "epoch") == "step"
    batch = cfg["data"]["batch_size"]
    lrs, losses = [], []
    for _ in range(first_epoch, last_epoch):
        for start in range(0, len(labels), batch):
            x, y = images[start:start + batch], labels[start:start + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            lrs.append([g["lr"] for g in opt.param_groups])
            losses.append(loss.item())
            if per_step:
                sched.step()
        if sched is not None and not per_step:
            sched.step()
    return lrs, losses


def ckpt(binary, *args):
    done = subprocess.run([binary, *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"ckpt {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def compare(label, lrs_a, lrs_b, model_a, model_b, start=None, rtol=1e-4, atol=1e-5):
    """Bit-for-bit lr sequences, parameters within float32 tolerance. Returns True when both hold."""
    a, b = np.asarray(lrs_a, dtype=np.float64), np.asarray(lrs_b, dtype=np.float64)
    lr_ok = a.shape == b.shape and a.tobytes() == b.tobytes()
    if not lr_ok:
        bad = next((i for i in range(min(len(a), len(b))) if a[i].tobytes() != b[i].tobytes()), min(len(a), len(b)))
        print(f"  lr: DIFFERENT at step {bad}: {a[bad:bad + 1].tolist()} vs {b[bad:bad + 1].tolist()} (shapes {a.shape} {b.shape})")
    else:
        print(f"  lr: {len(a)} steps identical bit for bit (first {a[0].tolist()}, last {a[-1].tolist()})")
    worst, ok = 0.0, True
    for k, va in model_a.items():
        va, vb = np.asarray(va, dtype=np.float64), np.asarray(model_b[k], dtype=np.float64)
        diff = np.abs(va - vb)
        worst = max(worst, float((diff / (atol + rtol * np.abs(vb))).max()))
        ok &= bool(np.allclose(va, vb, rtol=rtol, atol=atol))
    if start is not None:  # the tolerance is small beside how far the continued epochs moved the weights
        moved = max(float(np.abs(np.asarray(model_b[k], np.float64) - np.asarray(start[k], np.float64)).max()) for k in start)
        print(f"  the continued epochs moved parameters by up to {moved:.3g}")
    print(f"  parameters: {'within' if ok else 'OUTSIDE'} float32 tolerance (rtol {rtol}, atol {atol}; worst {worst:.3f} of the bound)")
    print(f"{label}: {'PASS' if lr_ok and ok else 'FAIL'}")
    return lr_ok and ok
