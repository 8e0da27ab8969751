#!/usr/bin/env python3
"""PyTorch peer of bench-optim: default CPU Adam and SGD(momentum=0.9) step throughput on one
float32 parameter of N elements, single thread. Prints `key value` lines like bench-optim."""
import argparse, time
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--elements", type=int, default=10_000_000)
ap.add_argument("--steps", type=int, default=10)
args = ap.parse_args()
torch.set_num_threads(1)
n = args.elements
print("torch", torch.__version__)
print("cpu_capability", torch.backends.cpu.get_cpu_capability())


def bench(name, make):
    p = torch.nn.Parameter(torch.arange(n, dtype=torch.float32) % 1000 * 1e-3 - 0.5)
    p.grad = (torch.arange(n, dtype=torch.float32) * 7 % 1000) * 1e-4 - 0.05
    opt = make([p])
    opt.step()                      # creates the state (not timed)
    t = []
    for _ in range(args.steps):
        s = time.perf_counter()
        opt.step()
        t.append(time.perf_counter() - s)
    t.sort()
    print(f"{name}_elements_per_s {n / t[len(t) // 2]}")
    print(f"{name}_best_elements_per_s {n / t[0]}")


with torch.no_grad():
    pass
bench("sgd_momentum", lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9))
bench("adam", lambda ps: torch.optim.Adam(ps))
