#!/usr/bin/env python3
"""PyTorch peer of bench-optim: one setting's optimizer step on one float32 parameter of N
elements, in a process of its own, printing the same `key value` lines as bench-optim.

  peers.py --optimizer adam|adamw|sgd_momentum|adamax|nadam|radam|adadelta|asgd|rprop|adagrad|rmsprop|adafactor
           --impl fused|foreach|single|best [--threads T] [--elements N] [--steps S]

`--impl` picks PyTorch's CPU implementation: `fused=True` (one kernel per step, split across
threads with at::parallel_for; Adam, AdamW, SGD and Adagrad only), `foreach=True`
(multi-tensor ops) or `foreach=False` (the single-tensor loop); `best` is PyTorch's fastest
CPU setting the optimizer offers: fused where it has it, else foreach. `--threads` is
torch.set_num_threads. The first step (state creation) is not timed; then S steps are."""
import argparse
import time

import torch

# Constructors as bench-optim builds them (PyTorch's defaults unless the step needs more).
OPTIMIZERS = {
    "adam": (torch.optim.Adam, {}), "adamw": (torch.optim.AdamW, {}),
    "sgd_momentum": (torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
    "adamax": (torch.optim.Adamax, {}), "nadam": (torch.optim.NAdam, {}), "radam": (torch.optim.RAdam, {}),
    "adadelta": (torch.optim.Adadelta, {}), "asgd": (torch.optim.ASGD, {}), "rprop": (torch.optim.Rprop, {}),
    "adagrad": (torch.optim.Adagrad, {}), "rmsprop": (torch.optim.RMSprop, {}),
    "adafactor": (torch.optim.Adafactor, {}),
}
FUSED = {"adam", "adamw", "sgd_momentum", "adagrad"}

ap = argparse.ArgumentParser()
ap.add_argument("--optimizer", choices=sorted(OPTIMIZERS), required=True)
ap.add_argument("--impl", choices=["fused", "foreach", "single", "best"], required=True)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--elements", type=int, default=10_000_000)
ap.add_argument("--steps", type=int, default=10)
args = ap.parse_args()
torch.set_num_threads(args.threads)
n = args.elements
impl = args.impl
if impl == "best":
    impl = "fused" if args.optimizer in FUSED else "foreach"
if impl == "fused" and args.optimizer not in FUSED:
    raise SystemExit(f"PyTorch has no fused=True for {args.optimizer}")
kw = {"fused": {"fused": True}, "foreach": {"foreach": True}, "single": {"foreach": False}}[impl]

# The same values as bench-optim.
p = torch.nn.Parameter(torch.arange(n, dtype=torch.float32) % 1000 * 1e-3 - 0.5)
p.grad = (torch.arange(n, dtype=torch.float32) * 7 % 1000) * 1e-4 - 0.05
cls, options = OPTIMIZERS[args.optimizer]
opt = cls([p], **options, **kw)
opt.step()
t = []
for _ in range(args.steps):
    s = time.perf_counter()
    opt.step()
    t.append(time.perf_counter() - s)
print("contender", f"torch-{args.impl}")
print("setting", impl)
print("optimizer", args.optimizer)
print("threads", torch.get_num_threads())
print("elements", n)
print("torch", torch.__version__)
print("cpu_capability", torch.backends.cpu.get_cpu_capability())
print("step_seconds", " ".join(repr(x) for x in t))
