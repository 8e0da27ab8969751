#!/usr/bin/env python3
"""Proof, direction 1: a run trained by `ckpt train` continues in PyTorch.

`ckpt train` runs the config for FIRST epochs; `ckpt resume` continues that checkpoint to TOTAL
epochs (the reference). PyTorch loads the same checkpoint with python/ckpt_torch.py in the
documented order (build the optimizer, build the scheduler, load the optimizer state, load
the scheduler state), trains the same batches in the same order (`shuffle: false`) and must
use the lr sequence `ckpt resume` used bit for bit, ending with parameters within float32
tolerance of ckpt's.

usage: torch_continues_ckpt.py --ckpt .build/release/ckpt --config cfg.json --work DIR [--first 2 --total 4]
"""
import os
import sys

import torch

from common import Net, proof_args, build_optimizer, build_scheduler, ckpt, ckpt_torch, compare, load_data, train_epochs


def main():
    a, cfg = proof_args()
    trained, resumed = os.path.join(a.work, "ckpt-train"), os.path.join(a.work, "ckpt-resume")
    ckpt(a.ckpt, "train", "--config", a.config, "--out", trained, "--epochs", str(a.first))
    start = os.path.join(trained, f"epoch-{a.first}.h5")
    ckpt(a.ckpt, "resume", start, "--epochs", str(a.total), "--out", resumed)
    reference = ckpt_torch.load(os.path.join(resumed, f"epoch-{a.total}.h5"))

    torch.set_num_threads(1)
    state = ckpt_torch.load(start)
    model = Net()
    model.load_state_dict(state["model"])
    opt = build_optimizer(state["config"]["optimizer"], model)      # 1. build the optimizer
    sched = build_scheduler(state["config"]["scheduler"], opt)      # 2. build the scheduler
    opt.load_state_dict(state["optimizer"])                         # 3. load the optimizer state
    if sched is not None:
        sched.load_state_dict(state["scheduler"])                   # 4. load the scheduler state
    images, labels = load_data(state["config"]["data"]["path"])
    lrs, _ = train_epochs(model, opt, sched, state["config"], images, labels, a.first, a.total)

    done = state["progress"]["global_step"]
    ref_lrs = reference["progress"]["lr"][done:].numpy()
    print(f"ckpt train {a.first} epochs -> PyTorch continues to {a.total} "
          f"({cfg['optimizer']['type']}, {cfg['scheduler']['type'] if cfg.get('scheduler') else 'constant lr'}), "
          f"compared with `ckpt resume`:")
    ok = compare("torch continues ckpt", lrs, ref_lrs,
                 {k: v.detach().numpy() for k, v in model.state_dict().items()},
                 {k: v.numpy() for k, v in reference["model"].items()},
                 start={k: v.numpy() for k, v in state["model"].items()})
    if sched is not None and sched.get_last_lr() != reference["scheduler"]["_last_lr"]:
        print(f"  scheduler: last lr {sched.get_last_lr()} vs ckpt {reference['scheduler']['_last_lr']}")
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
