#!/usr/bin/env python3
"""PyTorch's async checkpoint save beside bench-async: torch.distributed.checkpoint.async_save
of the same model and optimizer (SGD, momentum 0.9, batch 8, one CPU thread), a save every
--every steps. The stall of a save is the async_save call (which stages the state: copies it
into CPU buffers) plus what the next step takes beyond the median step, as in bench-async.
Stagers: "default" (async_save's own: a new staging copy per save) and "cached"
(BlockingAsyncStager(cache_staged_state_dict=True): the staging buffers kept from one save to
the next, as ckpt's snapshot does). Prints one line per stager:
  torch model=M mode=dcp-<stager> state_bytes=B stall_ms=X stall_min=.. stall_max=.. saves=N
or `missing <reason>` without torch."""
import argparse, os, shutil, statistics, sys, tempfile, time, warnings

ap = argparse.ArgumentParser()
ap.add_argument("--models", nargs="+", default=["lenet", "mlp"])
ap.add_argument("--steps", type=int, default=24)
ap.add_argument("--every", type=int, default=4)
ap.add_argument("--mlp-hidden", type=int, default=40960)
a = ap.parse_args()
try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.staging import BlockingAsyncStager
except ImportError as e:
    print(f"missing {e}")
    sys.exit(0)
warnings.filterwarnings("ignore")
torch.set_num_threads(1)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.pool, self.conv2 = nn.Conv2d(3, 6, 5), nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = torch.flatten(self.pool(F.relu(self.conv2(x))), 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def bench(model, stager):
    torch.manual_seed(0)
    if model == "lenet":
        net, x = LeNet(), torch.randn(8, 3, 32, 32)
    else:
        net, x = nn.Sequential(nn.Linear(3072, a.mlp_hidden), nn.ReLU(), nn.Linear(a.mlp_hidden, 10)), torch.randn(8, 3072)
    y = torch.randint(0, 10, (8,))
    opt = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

    def step():
        t = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
        return time.perf_counter() - t

    step()
    cached = BlockingAsyncStager(cache_staged_state_dict=True) if stager == "cached" else None
    d = tempfile.mkdtemp(prefix="bench-async-dcp-")
    plain, saves, after, fut, nbytes = [], [], [], None, 0
    try:
        for i in range(1, a.steps + 1):
            if i % a.every == 0:
                if fut is not None:
                    fut.result()   # the previous write is waited for outside the timed part
                sd = {"model": net.state_dict(), "optim": opt.state_dict()}
                if not nbytes:
                    nbytes = sum(t.numel() * t.element_size() for t in _tensors(sd))
                t0 = time.perf_counter()
                fut = dcp.async_save(sd, checkpoint_id=os.path.join(d, f"step-{i}"), async_stager=cached)
                saves.append(time.perf_counter() - t0)
                del sd
                after.append(step())
            else:
                plain.append(step())
        if fut is not None:
            fut.result()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    base = statistics.median(plain)
    stalls = [s + max(0.0, n - base) for s, n in zip(saves, after)][1:]
    ms = lambda s: f"{s * 1e3:.3f}"
    print(f"torch model={model} mode=dcp-{stager} state_bytes={nbytes} stall_ms={ms(statistics.median(stalls))} "
          f"stall_min={ms(min(stalls))} stall_max={ms(max(stalls))} saves={len(stalls)}", flush=True)


def _tensors(v):
    if isinstance(v, torch.Tensor):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from _tensors(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from _tensors(x)


for m in a.models:
    for s in ("default", "cached"):
        try:
            bench(m, s)
        except RuntimeError as e:   # the cached stager pins its buffers: CUDA only
            why = "its staging buffers are pinned memory, which needs CUDA" if "NVIDIA" in str(e) else str(e).splitlines()[0][:120]
            print(f"torch model={m} mode=dcp-{s} missing {why}", flush=True)
