#!/usr/bin/env python3
"""PyTorch peer of `bench-train`: trains the CIFAR-10 tutorial LeNet on synthetic 32x32x3
data (forward, CrossEntropyLoss, backward, SGD lr=0.001 momentum=0.9, zero_grad) and prints
images/s, one line per (threads, batch) as `torch threads=T batch=B images_per_s=X`.

usage: python3 Benchmarks/Train/peers.py [--threads 1 2] [--batches 4 64] [--seconds 3]
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn


# BENCH_CPU_TIME=1: time with the process CPU clock (steadier on a loaded machine), as bench-train.
clock = time.process_time if os.environ.get("BENCH_CPU_TIME") == "1" else time.perf_counter


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from ckpt_lenet import Net  # noqa: E402


def run(batch, seconds):
    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    crit = nn.CrossEntropyLoss()
    n = 1024 if batch < 64 else 4096
    data = torch.rand(n, 3, 32, 32) * 2 - 1
    labels = torch.randint(0, 10, (n,))
    steps = n // batch

    def epoch_part(k):
        for i in range(k):
            j = (i % steps) * batch
            x, y = data[j:j + batch], labels[j:j + batch]
            opt.zero_grad()
            loss = crit(net(x), y)
            loss.backward()
            opt.step()

    epoch_part(20)  # warm up
    best = 0.0
    for _ in range(3):
        t0 = clock()
        done = 0
        while clock() - t0 < seconds / 3:
            epoch_part(10)
            done += 10
        best = max(best, done * batch / (clock() - t0))
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batches", type=int, nargs="+", default=[4, 64])
    ap.add_argument("--seconds", type=float, default=3.0)
    a = ap.parse_args()
    for t in a.threads:
        torch.set_num_threads(t)
        for b in a.batches:
            print(f"torch threads={t} batch={b} images_per_s={run(b, a.seconds):.0f}", flush=True)


if __name__ == "__main__":
    main()
