#!/usr/bin/env python3
"""Proof, direction 2: a run started in PyTorch and saved with python/ckpt_torch.py resumes
with `ckpt resume`.

PyTorch trains the config's LeNet for FIRST epochs on the HDF5 data file (`shuffle: false`),
saves model, optimizer, scheduler, progress and the run config with `ckpt_torch.save`, then
keeps training to TOTAL epochs (the reference). `ckpt resume` continues the saved file to TOTAL
epochs and must use PyTorch's lr sequence bit for bit, ending with parameters within float32
tolerance of PyTorch's.

usage: ckpt_continues_torch.py --ckpt .build/release/ckpt --config cfg.json --work DIR [--first 2 --total 4]
"""
import os
import sys

import torch

from common import Net, proof_args, build_optimizer, build_scheduler, ckpt, ckpt_torch, compare, load_data, train_epochs


def main():
    a, cfg = proof_args()
    torch.set_num_threads(1)
    torch.manual_seed(cfg.get("seed", 0))
    model = Net()
    opt = build_optimizer(cfg["optimizer"], model)
    sched = build_scheduler(cfg.get("scheduler"), opt)
    images, labels = load_data(cfg["data"]["path"])
    lrs, losses = train_epochs(model, opt, sched, cfg, images, labels, 0, a.first)

    os.makedirs(a.work, exist_ok=True)
    saved = os.path.join(a.work, f"torch-epoch-{a.first}.h5")
    ckpt_torch.save(saved, model, opt, sched,
                    progress={"epoch": a.first, "global_step": len(lrs), "lr": lrs, "loss": losses},
                    config=dict(cfg, epochs=a.first))
    at_save = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    more, _ = train_epochs(model, opt, sched, cfg, images, labels, a.first, a.total)

    resumed = os.path.join(a.work, "ckpt-resume-of-torch")
    ckpt(a.ckpt, "resume", saved, "--epochs", str(a.total), "--out", resumed)
    result = ckpt_torch.load(os.path.join(resumed, f"epoch-{a.total}.h5"))
    print(f"PyTorch {a.first} epochs, saved with ckpt_torch -> `ckpt resume` to {a.total} "
          f"({cfg['optimizer']['type']}, {cfg['scheduler']['type'] if cfg.get('scheduler') else 'constant lr'}), "
          f"compared with PyTorch continuing:")
    ok = compare("ckpt continues torch", result["progress"]["lr"][len(lrs):].numpy(), more,
                 {k: v.numpy() for k, v in result["model"].items()},
                 {k: v.detach().numpy() for k, v in model.state_dict().items()}, start=at_save)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
