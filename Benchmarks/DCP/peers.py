#!/usr/bin/env python3
"""The DCP benchmark's PyTorch side.

  peers.py make DIR MIB   writes a DCP directory with dcp.save (one process, no process group):
                          64 float32 tensors adding up to MIB MiB, under {"model": ...}
  peers.py read DIR       PyTorch's own way to get a DCP checkpoint into memory without a
                          process group: format_utils.dcp_to_torch_save to a temporary .pt,
                          then torch.load(weights_only=True); prints
                          "torch op=read_dcp bytes=B seconds=S"
Without torch: prints "missing torch" and exits 3.
"""
import os
import sys
import tempfile
import time
import warnings

try:
    import torch
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save
except ImportError:
    print("missing torch")
    sys.exit(3)

warnings.filterwarnings("ignore")
torch.set_num_threads(1)


def make(path, mib):
    n = mib * (1 << 20) // 4 // 64
    g = torch.Generator().manual_seed(0)
    state = {"model": {f"layer{i}.weight": torch.randn(n, generator=g) for i in range(64)}}
    dcp.save(state, checkpoint_id=path, no_dist=True)


def read(path):
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        pt = os.path.join(tmp, "all.pt")
        dcp_to_torch_save(path, pt)
        state = torch.load(pt, weights_only=True)
        seconds = time.perf_counter() - start
    total = sum(t.numel() * t.element_size() for t in state["model"].values())
    print(f"torch op=read_dcp bytes={total} seconds={seconds}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    else:
        read(sys.argv[2])
