"""`ckpt convert run.h5 DIR --to dcp` -> torch.distributed.checkpoint.load, with real PyTorch.

PyTorch trains the seed's LeNet two steps with SGD (momentum) and with Adam and saves it with
plain torch.save; ckpt converts that to a checkpoint (`ckpt convert run.pt run.h5`) and the
checkpoint to a DCP directory (`--to dcp`). `dcp.load` (one process, no process group) must
load it in place into a fresh model's and optimizer's state dicts (the optimizer stepped once
on other data, so its state tensors exist to be filled), and the loaded state must equal the
saved one exactly: every tensor bit for bit, every param-group value and type.
The reverse too: ckpt reads PyTorch's own dcp.save directory and converts it to a .pt that
torch.load(weights_only=True) reads as the same state.

Needs torch and the Swift CLI (.build/release/ckpt); skipped otherwise.
"""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
CKPT = os.path.join(ROOT, ".build", "release", "ckpt")
try:
    import torch
    import torch.distributed.checkpoint as dcp
    from ckpt_lenet import Net
except ImportError:
    torch = None
pytestmark = [
    pytest.mark.skipif(torch is None, reason="PyTorch is not installed"),
    pytest.mark.skipif(not os.access(CKPT, os.X_OK), reason="the Swift CLI is not built (.build/release/ckpt)"),
]


def ckpt(*args):
    done = subprocess.run([CKPT, *args], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, f"ckpt {' '.join(args)}: {done.stdout}{done.stderr}"


def trained(make_opt, seed):
    torch.manual_seed(seed)
    model = Net()
    opt = make_opt(model.parameters())
    g = torch.Generator().manual_seed(seed + 1)
    for _ in range(2 if seed == 0 else 1):
        loss = model(torch.randn(2, 3, 32, 32, generator=g)).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, opt


def same(a, b, where="", ordered=True):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(a.view(-1).view(torch.uint8) if a.dim() else a, b.view(-1).view(torch.uint8) if b.dim() else b), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and (list(a) == list(b) if ordered else sorted(a) == sorted(b)), f"{where}: {list(a)} vs {list(b)}"
        for k in a:
            same(a[k], b[k], f"{where}/{k}", ordered)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{where}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}/{i}", ordered)
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} vs {b!r}"


@pytest.mark.parametrize("make_opt", [
    lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    lambda p: torch.optim.Adam(p, lr=0.001),
], ids=["sgd", "adam"])
def test_dcp_written_by_ckpt_loads_into_pytorch(tmp_path, make_opt):
    model, opt = trained(make_opt, 0)
    pt, h5, out = tmp_path / "run.pt", tmp_path / "run.h5", tmp_path / "run_dcp"
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 2}, pt)
    ckpt("convert", str(pt), str(h5))
    ckpt("convert", str(h5), str(out), "--to", "dcp")

    fresh_model, fresh_opt = trained(make_opt, 7)  # other weights; optimizer state exists
    target = {"model": fresh_model.state_dict(), "optimizer": fresh_opt.state_dict()}
    dcp.load(target, checkpoint_id=str(out), no_dist=True)
    fresh_model.load_state_dict(target["model"])
    fresh_opt.load_state_dict(target["optimizer"])
    same(model.state_dict(), fresh_model.state_dict(), "model")
    same(opt.state_dict(), fresh_opt.state_dict(), "optimizer")


def test_pytorch_dcp_converts_to_pt(tmp_path):
    out = tmp_path / "from_dcp.pt"
    src = os.path.join(ROOT, "fixtures", "dcp", "small_adam_2proc")
    ckpt("convert", src, str(out))
    loaded = torch.load(out, weights_only=True)
    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save
    ref = tmp_path / "ref.pt"
    dcp_to_torch_save(src, ref)
    reference = torch.load(ref, weights_only=False)
    same(dict(reference["model"]), dict(loaded["model"]), "model")
    # dcp_to_torch_save orders a state's keys as the ranks' merged plans list them; ckpt keeps
    # the state dict's own order (planner_data), so keys are compared as sets here.
    for i, s in enumerate(reference["optimizer"]["state"].values()):
        same(s, loaded["optimizer"]["state"][i], f"optimizer/state/{i}", ordered=False)
