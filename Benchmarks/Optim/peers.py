#!/usr/bin/env python3
"""PyTorch peer of bench-optim: one setting's optimizer step on one float32 parameter of N
elements, in a process of its own, printing the same `key value` lines as bench-optim.

  peers.py --optimizer adam|adamw|sgd_momentum|adamax|nadam|radam|adadelta|asgd|rprop|adagrad|rmsprop|adafactor|adafactor_matrix|muon|lbfgs
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
    "adafactor": (torch.optim.Adafactor, {}), "adafactor_matrix": (torch.optim.Adafactor, {}),
    "muon": (torch.optim.Muon, {}), "lbfgs": (torch.optim.LBFGS, {"history_size": 10}),
}
# No foreach / fused implementation in PyTorch: the single-tensor path is its only setting.
SINGLE_ONLY = {"muon", "lbfgs"}
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
    impl = "fused" if args.optimizer in FUSED else "single" if args.optimizer in SINGLE_ONLY else "foreach"
if impl != "single" and args.optimizer in SINGLE_ONLY:
    raise SystemExit(f"PyTorch has only the single-tensor step for {args.optimizer}")
if impl == "fused" and args.optimizer not in FUSED:
    raise SystemExit(f"PyTorch has no fused=True for {args.optimizer}")
kw = {"fused": {"fused": True}, "foreach": {"foreach": True}, "single": {"foreach": False}}[impl]
if args.optimizer in SINGLE_ONLY:
    kw = {}

# The same values as bench-optim.
shape = (n // 1024, 1024) if args.optimizer in ("muon", "adafactor_matrix") else (n,)   # matrices
p = torch.nn.Parameter((torch.arange(n, dtype=torch.float32) % 1000 * 1e-3 - 0.5).reshape(shape))
p.grad = ((torch.arange(n, dtype=torch.float32) * 7 % 1000) * 1e-4 - 0.05).reshape(shape)
cls, options = OPTIMIZERS[args.optimizer]
opt = cls([p], **options, **kw)
curvature = torch.arange(n, dtype=torch.float32) % 10 + 1
calls = [0]   # LBFGS: closure evaluations in all steps, untimed first included


def closure():
    """LBFGS: bench-optim's diagonal quadratic, 0.5 * sum(c * p * p), and its gradient."""
    calls[0] += 1
    with torch.no_grad():
        g = curvature * p
        p.grad = g
        return (0.5 * (g * p).double()).sum()


start = p.detach().clone()


def fresh_lbfgs_step():
    """LBFGS: every step from the same start with a fresh optimizer, as bench-optim times it."""
    global opt
    with torch.no_grad():
        p.copy_(start)
    opt = cls([p], **options, **kw)
    opt.step(closure)


step = fresh_lbfgs_step if args.optimizer == "lbfgs" else opt.step
step()
t = []
for _ in range(args.steps):
    s = time.perf_counter()
    step()
    t.append(time.perf_counter() - s)
print("contender", f"torch-{args.impl}")
print("setting", impl)
print("optimizer", args.optimizer)
print("threads", torch.get_num_threads())
print("elements", n)
print("torch", torch.__version__)
print("cpu_capability", torch.backends.cpu.get_cpu_capability())
if args.optimizer == "lbfgs":
    print("closure_calls", calls[0])
print("step_seconds", " ".join(repr(x) for x in t))
