"""The optimizer x scheduler matrix across the border, both ways, with real PyTorch:

- PyTorch trains 3 epochs, saves with ckpt_torch.save, trains on to 6; `ckpt resume` of the
  saved file must use PyTorch's lr at every step, bit for bit;
- `ckpt train` runs 3 epochs; ckpt_torch.load hands the state to fresh PyTorch objects (the
  documented order) whose state dicts must hold exactly the Python types PyTorch's own objects
  hold at that point (int keys, Counter, tuples, None, int vs float), and PyTorch continuing
  to 6 epochs must use `ckpt resume`'s lr at every step, bit for bit.

`ckpt diff` of the two continuations of ckpt's file (PyTorch's, saved with ckpt_torch.save,
and `ckpt resume`'s) must report the lr history identical.

Both continuations' parameters and optimizer state are compared with the other side's within
float32 tolerance (`close`): not bit for bit, because PyTorch's CPU sqrt (MKL/SLEEF) is not
correctly rounded and the Adam family differs from ckpt in the last bits.
Needs torch and the Swift CLI (.build/release/ckpt); skipped otherwise. LambdaLR and
MultiplicativeLR take their lr_lambda as the expression ckpt's config holds, evaluated by
Python as `lambda epoch: <expression>`; "SGD, 2 groups" has two param groups with their own lr.
"""
import fnmatch
import json
import os
import subprocess
import sys
from collections import OrderedDict

import h5py
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import ckpt_torch  # noqa: E402

CKPT = os.path.join(ROOT, ".build", "release", "ckpt")
DATA = os.path.join(ROOT, "fixtures", "pytorch", "data.h5")   # 16 uint8 images [3, 4, 4]
try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None
pytestmark = [
    pytest.mark.skipif(torch is None, reason="PyTorch is not installed"),
    pytest.mark.skipif(not os.access(CKPT, os.X_OK), reason="the Swift CLI is not built (.build/release/ckpt)"),
]

OPTIMIZERS = OrderedDict([
    ("SGD", {"type": "SGD", "lr": 0.05, "momentum": 0.9}),
    ("Adam", {"type": "Adam", "lr": 0.01, "betas": [0.8, 0.99]}),
    ("AdamW", {"type": "AdamW", "lr": 0.01, "amsgrad": True}),
    ("RMSprop", {"type": "RMSprop", "lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adagrad", {"type": "Adagrad", "lr": 0.05}),
    ("Adamax", {"type": "Adamax", "lr": 0.01, "weight_decay": 0.01}),
    ("NAdam", {"type": "NAdam", "lr": 0.01, "weight_decay": 0.01, "decoupled_weight_decay": True}),
    ("RAdam", {"type": "RAdam", "lr": 0.01, "betas": [0.9, 0.99]}),
    ("Adadelta", {"type": "Adadelta", "lr": 1.0, "rho": 0.8}),
    ("ASGD", {"type": "ASGD", "lr": 0.05, "t0": 5}),
    ("Rprop", {"type": "Rprop", "lr": 0.01, "etas": [0.4, 1.3]}),
    ("Adafactor", {"type": "Adafactor", "lr": 0.01, "eps": [None, 0.001]}),
    ("SGD, 2 groups", {"type": "SGD", "lr": 0.05, "momentum": 0.9, "param_groups": [
        {"params": ["net.1.*"], "lr": 0.02}, {"params": ["net.3.*"], "momentum": 0.5}]}),
    # LBFGS re-evaluates the loss on the same batch through a closure (see train).
    ("LBFGS", {"type": "LBFGS", "lr": 0.5, "max_iter": 3, "history_size": 4, "line_search_fn": "strong_wolfe"}),
])
SCHEDULERS = OrderedDict([
    ("StepLR", {"type": "StepLR", "step_size": 2, "gamma": 0.5}),
    ("MultiStepLR", {"type": "MultiStepLR", "milestones": [2, 2, 4], "gamma": 0.5}),
    ("ConstantLR", {"type": "ConstantLR", "factor": 0.5, "total_iters": 4}),
    ("LinearLR", {"type": "LinearLR", "start_factor": 0.25, "total_iters": 4}),
    ("ExponentialLR", {"type": "ExponentialLR", "gamma": 0.8}),
    ("PolynomialLR", {"type": "PolynomialLR", "total_iters": 5, "power": 2.0}),
    ("CosineAnnealingLR", {"type": "CosineAnnealingLR", "T_max": 5, "eta_min": 0.0001}),
    ("CosineAnnealingWarmRestarts", {"type": "CosineAnnealingWarmRestarts", "T_0": 2, "T_mult": 2, "interval": "step"}),
    ("CyclicLR", {"type": "CyclicLR", "base_lr": 0.001, "max_lr": 0.01, "step_size_up": 3, "interval": "step"}),
    ("OneCycleLR", {"type": "OneCycleLR", "max_lr": 0.02, "total_steps": 12, "interval": "step"}),
    ("ReduceLROnPlateau", {"type": "ReduceLROnPlateau", "patience": 0, "factor": 0.5, "threshold": 0.5}),
    ("SequentialLR", {"type": "SequentialLR", "milestones": [2], "schedulers": [
        {"type": "LinearLR", "start_factor": 0.5, "total_iters": 2},
        {"type": "MultiStepLR", "milestones": [1, 3], "gamma": 0.5}]}),
    ("LambdaLR", {"type": "LambdaLR", "lr_lambda": "(epoch + 1) / 3 if epoch < 2 else 0.9 ** (epoch - 2)"}),
    ("MultiplicativeLR", {"type": "MultiplicativeLR", "lr_lambda": "0.95 if epoch % 2 == 0 else 0.8"}),
    ("ChainedScheduler", {"type": "ChainedScheduler", "schedulers": [
        {"type": "ExponentialLR", "gamma": 0.9}, {"type": "MultiStepLR", "milestones": [2, 2]}]}),
    # torch.optim.swa_utils.SWALR as the run's scheduler (its swa_lr lives in the groups).
    ("SWALR", {"type": "SWALR", "swa_lr": 0.005, "anneal_epochs": 3, "anneal_strategy": "linear"}),
])
FIRST, TOTAL = 3, 6
NO_MOMENTUM = ("Adagrad", "Adadelta", "ASGD", "Rprop", "Adafactor", "LBFGS")
TUPLES = ("betas", "etas", "step_sizes", "eps")   # PyTorch's tuple arguments (JSON lists in ckpt's config)


def config(opt, sched):
    s = json.loads(json.dumps(SCHEDULERS[sched]))
    if opt in NO_MOMENTUM and sched in ("CyclicLR", "OneCycleLR"):
        s["cycle_momentum"] = False   # no momentum or betas to cycle (PyTorch raises)
    return {"model": {"type": "mlp", "sizes": [48, 8, 10]},
            "data": {"dataset": "hdf5", "path": DATA, "batch_size": 8, "shuffle": False},
            "optimizer": OPTIMIZERS[opt], "scheduler": s, "epochs": TOTAL, "seed": 0}




def build(cfg, model):
    o = {k: (tuple(v) if k in TUPLES and isinstance(v, list) else v)
         for k, v in cfg["optimizer"].items() if k not in ("type", "param_groups")}
    params = list(model.parameters())
    if cfg["optimizer"].get("param_groups"):
        # ckpt's groups name their parameters by glob; PyTorch's hold the parameters.
        named = list(model.named_parameters())
        params = [dict({k: v for k, v in g.items() if k != "params"},
                       params=[p for n, p in named if any(fnmatch.fnmatchcase(n, pat) for pat in g["params"])])
                  for g in cfg["optimizer"]["param_groups"]]
    opt = getattr(torch.optim, cfg["optimizer"]["type"])(params, **o)

    def sched(c):
        kw = {k: v for k, v in c.items() if k not in ("type", "interval", "metric")}
        if "lr_lambda" in kw:
            kw["lr_lambda"] = eval("lambda epoch: " + kw["lr_lambda"])  # the test's own constant
        if "schedulers" in kw:
            kw["schedulers"] = [sched(x) for x in kw["schedulers"]]
        if c["type"] == "ChainedScheduler":   # ChainedScheduler(schedulers, optimizer=None)
            return torch.optim.lr_scheduler.ChainedScheduler(kw["schedulers"], optimizer=opt)
        if c["type"] == "SWALR":
            return torch.optim.swa_utils.SWALR(opt, **kw)
        return getattr(torch.optim.lr_scheduler, c["type"])(opt, **kw)
    return opt, sched(cfg["scheduler"])


# LBFGS's state follows the path of its line search, which the two runs (ckpt's and PyTorch's,
# equal within float32 rounding, not bit for bit) need not share: `t` and `H_diag` are a Python
# number or a 0-d tensor, and the history lists hold as many entries as updates were accepted.
LBFGS_PATH_DEPENDENT = ("t", "H_diag", "old_dirs", "old_stps", "ro", "al")


def lbfgs_loose(tree):
    """`types(...)` with LBFGS's path-dependent entries reduced to 'number' or 'list'."""
    if isinstance(tree, tuple) and len(tree) == 3 and tree[1] in LBFGS_PATH_DEPENDENT:
        return (tree[0], tree[1], "list" if tree[1] in ("old_dirs", "old_stps", "ro", "al") else "number")
    if isinstance(tree, tuple):
        return tuple(lbfgs_loose(x) for x in tree)
    if isinstance(tree, list):
        return [lbfgs_loose(x) for x in tree]
    return tree


def data():
    with h5py.File(DATA, "r") as f:
        return (torch.from_numpy(f["images"][()]).float() / 255 - 0.5) / 0.5, torch.from_numpy(f["labels"][()])


def train(model, opt, sched, cfg, epochs):
    """ckpt's order of events (docs/CONFIG.md): per batch zero_grad, forward, loss, backward,
    step, the lr it used; per-step schedulers after each step, the others after each epoch
    (ReduceLROnPlateau with the epoch's mean train loss, summed in double as ckpt does)."""
    images, labels = data()
    per_step = cfg["scheduler"].get("interval") == "step"
    lrs = []
    for _ in range(epochs):
        losses = []
        for start in range(0, len(labels), cfg["data"]["batch_size"]):
            def closure():
                opt.zero_grad()
                loss = F.cross_entropy(model(images[start:start + 8]), labels[start:start + 8])
                loss.backward()
                return loss
            if isinstance(opt, torch.optim.LBFGS):
                loss = opt.step(closure)   # the loss of its first evaluation, as ckpt records
            else:
                loss = closure()
                opt.step()
            lrs.append([g["lr"] for g in opt.param_groups])
            losses.append(loss.item())
            if per_step:
                sched.step()
        if not per_step:
            if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                sched.step(sum(losses) / len(losses))
            else:
                sched.step()
    return lrs


def ckpt(*args):
    done = subprocess.run([CKPT, *args], capture_output=True, text=True)
    assert done.returncode == 0, f"ckpt {' '.join(args)}: {done.stdout}{done.stderr}"


def types(v):
    """The Python types of a state dict, containers and keys included (tensors by dtype)."""
    if torch is not None and isinstance(v, torch.Tensor):
        return f"tensor {v.dtype} {list(v.shape)}"
    if isinstance(v, dict):
        return (type(v).__name__ if type(v).__name__ == "Counter" else "dict",
                [(type(k).__name__, k, types(x)) for k, x in v.items()])
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [types(x) for x in v])
    return type(v).__name__


# Float32 tolerance for two implementations of the same run after three continued epochs: the
# forward and backward differ in summation order (BLAS) and PyTorch's sqrt is not correctly
# rounded, so even SGD ends a few ulp apart, and the optimizer goldens agree within a few ulp per
# step (Adafactor 4e-6 relative). The bound is relative to each tensor's largest magnitude: a
# momentum buffer is a sum of terms of both signs, so an element that cancels to 2e-4 in a
# buffer of magnitude 5 keeps the absolute error of its terms (centered RMSprop shows 6e-7).
# LBFGS is matched to PyTorch within tolerance, not bit for bit (its dot products are summed in
# double; PyTorch's in BLAS order): one step from the same state agrees within 1e-3 (the LBFGS
# goldens), but the strong-Wolfe line search turns last-bit differences into different trial
# steps. After three continued epochs (up to 18 iterations) that is chaos, not error: PyTorch
# against itself, with one weight moved by one ulp before continuing from a ckpt file, ends
# 0.46 (StepLR), 0.63 (ConstantLR) and 1.07 (SWALR) apart in tensors of magnitude 3-4
# (measured 2026-12-04, torch 2.15). No tolerance separates a wrong continuation from that, so
# for LBFGS the continued state is compared by structure only (keys, shapes, kinds, exact
# non-tensor values outside the search's path); its numbers are held to PyTorch by the LBFGS
# goldens (one step from the same state within 1e-3) and the lr sequence below.
RTOL, ATOL = 1e-5, 1e-7
LBFGS_RTOL = float("inf")


def close(theirs, ours, where, rtol=RTOL):
    """Every tensor of `theirs` (a PyTorch state dict or nested value) is within
    ATOL + RTOL * max|ours| of `ours` element by element, every other value is equal, and both
    hold the same keys."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, torch.Tensor) and theirs.shape == ours.shape, f"{where}: {ours!r}"
        a, b = theirs.double(), ours.double()
        largest = b.abs().max().item() if b.numel() else 0.0
        bound = ATOL + (rtol * largest if largest else 0.0)   # inf * 0 would be NaN
        worst = (a - b).abs().max().item() if a.numel() else 0.0
        assert worst <= bound, \
            f"{where}: max |diff| {worst:.3g} > {bound:.3g} (PyTorch {a.flatten()[:4].tolist()}, ckpt {b.flatten()[:4].tolist()})"
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(theirs) == set(ours), f"{where}: keys {sorted(theirs, key=str)} vs {sorted(ours, key=str) if isinstance(ours, dict) else ours}"
        for k in theirs:
            close(theirs[k], ours[k], f"{where}/{k}", rtol)
    elif isinstance(theirs, (list, tuple)):
        assert len(theirs) == len(ours), f"{where}: {len(theirs)} vs {len(ours)} entries"
        for i, (x, y) in enumerate(zip(theirs, ours)):
            close(x, y, f"{where}[{i}]", rtol)
    elif isinstance(theirs, float) and isinstance(ours, float):
        assert abs(theirs - ours) <= ATOL + rtol * abs(theirs), f"{where}: {theirs} vs {ours}"
    else:
        assert theirs == ours, f"{where}: PyTorch {theirs!r}, ckpt {ours!r}"


def same_training_state(model, opt, ckpt_file, where):
    """PyTorch's model and optimizer state against a ckpt checkpoint's, within tolerance."""
    theirs = ckpt_torch.load(ckpt_file)
    lbfgs = isinstance(opt, torch.optim.LBFGS)
    rtol = LBFGS_RTOL if lbfgs else RTOL
    close(model.state_dict(), dict(theirs["model"]), f"{where}: model", rtol)
    state, ours = opt.state_dict()["state"], theirs["optimizer"]["state"]
    if lbfgs:
        # The search direction, the last gradient and loss, and the iteration counters follow
        # the line search's path too (counters differ by one evaluation); kinds were compared.
        loose = set(LBFGS_PATH_DEPENDENT) | {"d", "prev_flat_grad", "prev_loss", "func_evals", "n_iter"}
        keep = lambda st: {i: {k: v for k, v in e.items() if k not in loose} for i, e in st.items()}
        state, ours = keep(state), keep(ours)
    close(state, ours, f"{where}: optimizer state", rtol)


def lr_bits(rows):
    return [[float(x).hex() for x in r] for r in rows]


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("sched", list(SCHEDULERS))
def test_state_crosses_both_ways_with_its_types_and_lr_sequence(tmp_path, opt, sched):
    if opt == "LBFGS" and sched == "PolynomialLR":
        pytest.skip("PyTorch's strong_wolfe raises ZeroDivisionError once PolynomialLR brings the lr to 0")
    cfg = config(opt, sched)
    torch.set_num_threads(1)

    # PyTorch -> ckpt_torch.save -> ckpt resume
    torch.manual_seed(0)
    model = ckpt_torch.mlp(cfg["model"]["sizes"])
    o, s = build(cfg, model)
    lrs = train(model, o, s, cfg, FIRST)
    native = {"optimizer": types(o.state_dict()), "scheduler": types(s.state_dict())}
    saved = str(tmp_path / "torch-3.h5")
    ckpt_torch.save(saved, model, o, s, progress={"epoch": FIRST, "global_step": len(lrs), "lr": lrs,
                                                  "loss": [0.0] * len(lrs)}, config=cfg)
    torch_more = train(model, o, s, cfg, TOTAL - FIRST)
    ckpt("resume", saved, "--out", str(tmp_path / "of-torch"))
    resumed = ckpt_torch.load(str(tmp_path / "of-torch" / f"epoch-{TOTAL}.h5"))
    assert lr_bits(resumed["progress"]["lr"][len(lrs):].tolist()) == lr_bits(torch_more), "ckpt resume of PyTorch's file"
    same_training_state(model, o, str(tmp_path / "of-torch" / f"epoch-{TOTAL}.h5"), "ckpt resume of PyTorch's file")

    # ckpt train -> ckpt_torch.load -> PyTorch continues, beside ckpt resume
    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(json.dumps(cfg))
    ckpt("train", "--config", str(cfg_path), "--out", str(tmp_path / "train"), "--epochs", str(FIRST))
    start = str(tmp_path / "train" / f"epoch-{FIRST}.h5")
    ckpt("resume", start, "--epochs", str(TOTAL), "--out", str(tmp_path / "resume"))
    reference = ckpt_torch.load(str(tmp_path / "resume" / f"epoch-{TOTAL}.h5"))
    ck = ckpt_torch.load(start)
    model2 = ckpt_torch.mlp(cfg["model"]["sizes"])
    model2.load_state_dict(ck["model"])
    o2, s2 = build(cfg, model2)
    o2.load_state_dict(ck["optimizer"])
    s2.load_state_dict(ck["scheduler"])
    loaded = o2.state_dict()
    for g in loaded["param_groups"]:
        g.pop("param_names", None)     # format v1 records them; PyTorch keeps what it is given
    if opt == "LBFGS":
        assert lbfgs_loose(types(loaded)) == lbfgs_loose(native["optimizer"])
    else:
        assert types(loaded) == native["optimizer"]
    assert types(s2.state_dict()) == native["scheduler"]
    more = train(model2, o2, s2, cfg, TOTAL - FIRST)
    assert lr_bits(more) == lr_bits(reference["progress"]["lr"][ck["progress"]["global_step"]:].tolist()), \
        "PyTorch continuing ckpt's file"
    same_training_state(model2, o2, str(tmp_path / "resume" / f"epoch-{TOTAL}.h5"), "PyTorch continuing ckpt's file")

    # ckpt diff between the two continuations: the lr history is identical (parameters may
    # differ in the last bits for the Adam family, so only the history is asserted).
    continued = str(tmp_path / "torch-continued.h5")
    history = ck["progress"]["lr"].tolist() + more
    ckpt_torch.save(continued, model2, o2, s2, progress={"epoch": TOTAL, "global_step": len(history), "lr": history,
                                                         "loss": [0.0] * len(history)}, config=cfg)
    done = subprocess.run([CKPT, "diff", "--json", continued, str(tmp_path / "resume" / f"epoch-{TOTAL}.h5")],
                          capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    lr = [h for h in json.loads(done.stdout)["histories"] if h["path"] == "progress/lr"]
    assert len(lr) == 1 and not lr[0]["differs"], f"ckpt diff of the two continuations: {lr}"
