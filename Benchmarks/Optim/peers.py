#!/usr/bin/env python3
"""PyTorch peer of bench-optim: one setting's optimizer step on one float32 parameter of N
elements, in a process of its own, printing the same `key value` lines as bench-optim.

  optim_torch.py --optimizer adam|adamw|sgd_momentum --impl fused|foreach|single
                 [--threads T] [--elements N] [--steps S]

`--impl` picks PyTorch's CPU implementation: `fused=True` (one kernel per step, split across
threads with at::parallel_for), `foreach=True` (multi-tensor ops) or `foreach=False` (the
single-tensor loop). `--threads` is torch.set_num_threads. The first step (state creation) is
not timed; then S steps are."""
import argparse
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--optimizer", choices=["adam", "adamw", "sgd_momentum"], required=True)
ap.add_argument("--impl", choices=["fused", "foreach", "single"], required=True)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--elements", type=int, default=10_000_000)
ap.add_argument("--steps", type=int, default=10)
args = ap.parse_args()
torch.set_num_threads(args.threads)
n = args.elements
kw = {"fused": {"fused": True}, "foreach": {"foreach": True}, "single": {"foreach": False}}[args.impl]

# The same values as bench-optim.
p = torch.nn.Parameter(torch.arange(n, dtype=torch.float32) % 1000 * 1e-3 - 0.5)
p.grad = (torch.arange(n, dtype=torch.float32) * 7 % 1000) * 1e-4 - 0.05
if args.optimizer == "adam":
    opt = torch.optim.Adam([p], **kw)
elif args.optimizer == "adamw":
    opt = torch.optim.AdamW([p], **kw)
else:
    opt = torch.optim.SGD([p], lr=0.01, momentum=0.9, **kw)
opt.step()
t = []
for _ in range(args.steps):
    s = time.perf_counter()
    opt.step()
    t.append(time.perf_counter() - s)
print("contender", f"torch-{args.impl}")
print("optimizer", args.optimizer)
print("threads", torch.get_num_threads())
print("elements", n)
print("torch", torch.__version__)
print("cpu_capability", torch.backends.cpu.get_cpu_capability())
print("step_seconds", " ".join(repr(x) for x in t))
