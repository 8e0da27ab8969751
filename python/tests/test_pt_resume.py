"""ckpt run -> `ckpt convert run.h5 run.pt` -> PyTorch continues, with real PyTorch.

`ckpt train` runs the LeNet of fixtures/torch/resume/config.json for 2 epochs; its checkpoint is
converted to a torch.save file, which torch.load(weights_only=True) must read as the objects a
PyTorch user saves ({"model": OrderedDict, "optimizer", "scheduler", "epoch": 2}, with the exact
Python types PyTorch's own state dicts have); fresh PyTorch objects loaded from it, continuing
to 4 epochs, must use `ckpt resume`'s lr at every step, bit for bit, and end with parameters
within float32 tolerance of `ckpt resume`'s.

Needs torch, h5py and the Swift CLI (.build/release/ckpt); skipped otherwise.
"""
import json
import os
import subprocess
import sys
from collections import OrderedDict

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
CKPT = os.path.join(ROOT, ".build", "release", "ckpt")
FIXTURE = os.path.join(ROOT, "fixtures", "torch", "resume")
try:
    import torch
    import torch.nn.functional as F
    import h5py
    import ckpt_torch
    from ckpt_lenet import Net
except ImportError:
    torch = None
pytestmark = [
    pytest.mark.skipif(torch is None, reason="PyTorch (and h5py) is not installed"),
    pytest.mark.skipif(not os.access(CKPT, os.X_OK), reason="the Swift CLI is not built (.build/release/ckpt)"),
]
FIRST, TOTAL = 2, 4


def ckpt(*args):
    done = subprocess.run([CKPT, *args], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, f"ckpt {' '.join(args)}: {done.stdout}{done.stderr}"


def types(v):
    if isinstance(v, torch.Tensor):
        return f"tensor {v.dtype} {list(v.shape)}"
    if isinstance(v, dict):
        return (type(v).__name__, [(type(k).__name__, k, types(x)) for k, x in v.items()])
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [types(x) for x in v])
    return type(v).__name__


def build(cfg, model):
    o = {k: v for k, v in cfg["optimizer"].items() if k != "type"}
    opt = torch.optim.SGD(model.parameters(), **o)
    s = {k: v for k, v in cfg["scheduler"].items() if k != "type"}
    return opt, torch.optim.lr_scheduler.StepLR(opt, **s)


def train(model, opt, sched, cfg, epochs):
    with h5py.File(os.path.join(ROOT, cfg["data"]["path"]), "r") as f:
        images = (torch.from_numpy(f["images"][()]).float() / 255 - 0.5) / 0.5
        labels = torch.from_numpy(f["labels"][()])
    batch, lrs = cfg["data"]["batch_size"], []
    for _ in range(epochs):
        for start in range(0, len(labels), batch):
            opt.zero_grad()
            F.cross_entropy(model(images[start:start + batch]), labels[start:start + batch]).backward()
            opt.step()
            lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    return lrs


def test_pytorch_continues_a_converted_ckpt_run(tmp_path):
    torch.set_num_threads(1)
    with open(os.path.join(FIXTURE, "config.json")) as f:
        cfg = json.load(f)
    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(json.dumps(cfg))
    ckpt("train", "--config", str(cfg_path), "--out", str(tmp_path / "train"), "--epochs", str(FIRST))
    start = str(tmp_path / "train" / f"epoch-{FIRST}.h5")
    ckpt("resume", start, "--epochs", str(TOTAL), "--out", str(tmp_path / "resume"))
    reference = ckpt_torch.load(str(tmp_path / "resume" / f"epoch-{TOTAL}.h5"))
    pt = str(tmp_path / "run.pt")
    ckpt("convert", start, pt)

    saved = torch.load(pt, weights_only=True)
    # The standard keys, then the metrics the epoch checkpoint records (as a PyTorch user
    # saves "loss" beside them).
    assert list(saved)[:4] == ["model", "optimizer", "scheduler", "epoch"]
    assert set(list(saved)[4:]) <= {"train_loss", "test_loss", "test_accuracy"}, list(saved)
    assert type(saved["model"]) is OrderedDict and saved["epoch"] == FIRST

    # The types PyTorch's own objects have after 2 epochs.
    torch.manual_seed(0)
    native_model = Net()
    native_opt, native_sched = build(cfg, native_model)
    train(native_model, native_opt, native_sched, cfg, FIRST)
    native = native_opt.state_dict()
    written = saved["optimizer"]
    for g in written["param_groups"]:
        g.pop("param_names", None)     # ckpt records them; PyTorch keeps what it is given
    assert types(written) == types(native)
    assert types(saved["scheduler"]) == types(native_sched.state_dict())

    model = Net()
    model.load_state_dict(saved["model"])
    opt, sched = build(cfg, model)
    opt.load_state_dict(saved["optimizer"])
    sched.load_state_dict(saved["scheduler"])
    more = train(model, opt, sched, cfg, TOTAL - FIRST)
    ck_lr = reference["progress"]["lr"][len(reference["progress"]["lr"]) - len(more):]
    assert [float(x[0]).hex() for x in ck_lr.tolist()] == [x.hex() for x in more]
    for name, value in model.state_dict().items():
        expected = torch.as_tensor(reference["model"][name])
        assert torch.allclose(value, expected, rtol=1e-4, atol=1e-6), name
