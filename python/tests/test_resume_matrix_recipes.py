"""The interop matrix for what test_resume_matrix.py's one-optimizer runs cannot hold: Muon
(matrices only, so beside AdamW: two optimizers), weight averaging (AveragedModel with EMA, and
SWA with SWALR) and SparseAdam (state only), both ways, with real PyTorch:

- PyTorch trains 3 epochs, saves with ckpt_torch.save (/optimizers/1, /averaged_model,
  /swa_scheduler), trains on to 6; `ckpt resume` of the saved file uses PyTorch's lr at every
  step, bit for bit, and ends within float32 tolerance of PyTorch's model, every optimizer's
  state and the average;
- `ckpt train` runs 3 epochs; ckpt_torch.load hands every section to fresh PyTorch objects
  (AveragedModel.load_state_dict, SWALR.load_state_dict, the second optimizer's) whose state
  dicts hold exactly the Python types PyTorch's own hold, and PyTorch continuing to 6 epochs
  uses `ckpt resume`'s lr bit for bit and ends within tolerance of its state.

Tolerances as test_resume_matrix.py; Muon's Newton-Schulz runs in bfloat16 (ckpt matches it
within bfloat16 resolution, MuonGoldenTests), so the Muon run's bound is bfloat16's.
Needs torch and the Swift CLI (.build/release/ckpt); skipped otherwise.
"""
import fnmatch
import json
import os
import subprocess

import pytest

from test_resume_matrix import CKPT, DATA, TUPLES, ckpt, ckpt_torch, close, data, lr_bits, types

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn  # noqa: E402

pytestmark = pytest.mark.skipif(not os.access(CKPT, os.X_OK), reason="the Swift CLI is not built (.build/release/ckpt)")

FIRST, TOTAL = 3, 6
MODEL = {"type": "mlp", "sizes": [48, 8, 10]}
RECIPES = {
    "Muon+AdamW, EMA": {
        "optimizers": [
            {"params": ["net.1.weight"], "type": "Muon", "lr": 0.02,
             "scheduler": {"type": "ExponentialLR", "gamma": 0.8}},
            {"params": ["*"], "type": "AdamW", "lr": 0.01}],
        "averaging": {"type": "ema", "decay": 0.9}},
    "SGD, SWA + SWALR": {
        "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9},
        "scheduler": {"type": "ExponentialLR", "gamma": 0.8},
        "averaging": {"type": "swa", "swa_start": 1, "swa_lr": 0.01, "anneal_epochs": 2, "anneal_strategy": "linear"}},
    "Adam, EMA": {
        "optimizer": {"type": "Adam", "lr": 0.01},
        "scheduler": {"type": "StepLR", "step_size": 2, "gamma": 0.5},
        "averaging": {"type": "ema", "decay": 0.5}},
}
RTOL = {"Muon+AdamW, EMA": 2 ** -7}   # bfloat16's resolution; the others: test_resume_matrix's


def config(name):
    return dict({"model": MODEL, "data": {"dataset": "hdf5", "path": DATA, "batch_size": 8, "shuffle": False},
                 "epochs": TOTAL, "seed": 0}, **RECIPES[name])


def build(cfg, model):
    """The run's optimizers [(optimizer, scheduler | None)], in config order (each parameter
    to the first entry whose globs match it), its AveragedModel and SWALR (SWA only)."""
    entries = cfg.get("optimizers") or [dict(cfg["optimizer"], params=["*"], scheduler=cfg.get("scheduler"))]
    named, taken, pairs = list(model.named_parameters()), set(), []
    for e in entries:
        mine = [(n, p) for n, p in named if n not in taken and any(fnmatch.fnmatchcase(n, g) for g in e["params"])]
        taken |= {n for n, _ in mine}
        kw = {k: (tuple(v) if k in TUPLES and isinstance(v, list) else v)
              for k, v in e.items() if k not in ("type", "params", "scheduler")}
        o = getattr(torch.optim, e["type"])([p for _, p in mine], **kw)
        s = e.get("scheduler")
        s = getattr(torch.optim.lr_scheduler, s["type"])(o, **{k: v for k, v in s.items() if k != "type"}) if s else None
        pairs.append((o, s))
    a = cfg["averaging"]
    if a["type"] == "ema":
        return pairs, AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(a["decay"])), None
    swalr = SWALR(pairs[0][0], swa_lr=a["swa_lr"], anneal_epochs=a["anneal_epochs"], anneal_strategy=a["anneal_strategy"])
    return pairs, AveragedModel(model), swalr


def train(model, pairs, avg, swalr, cfg, first_epoch, epochs):
    """ckpt's order of events (docs/CONFIG.md): per batch zero_grad, forward, loss, backward,
    each optimizer's step in order, the lr they used, EMA's update_parameters; per epoch each
    scheduler's step, or for SWA after epoch swa_start: update_parameters, then SWALR's step."""
    images, labels = data()
    ema = cfg["averaging"]["type"] == "ema"
    lrs = []
    for epoch in range(first_epoch, first_epoch + epochs):
        for start in range(0, len(labels), cfg["data"]["batch_size"]):
            for o, _ in pairs:
                o.zero_grad()
            F.cross_entropy(model(images[start:start + 8]), labels[start:start + 8]).backward()
            for o, _ in pairs:
                o.step()
            lrs.append([g["lr"] for o, _ in pairs for g in o.param_groups])
            if ema:
                avg.update_parameters(model)
        if not ema and epoch > cfg["averaging"]["swa_start"]:
            avg.update_parameters(model)
            swalr.step()
        else:
            for _, s in pairs:
                if s is not None:
                    s.step()
    return lrs


def same_state(model, pairs, avg, ckpt_file, where, rtol):
    ck = ckpt_torch.load(ckpt_file)
    close(model.state_dict(), dict(ck["model"]), f"{where}: model", rtol)
    opts = [ck["optimizer"]] + [e["optimizer"] for e in ck["optimizers"]]
    assert len(opts) == len(pairs), f"{where}: {len(opts)} optimizers in the file, {len(pairs)} in the run"
    for i, ((o, _), theirs) in enumerate(zip(pairs, opts)):
        close(o.state_dict()["state"], theirs["state"], f"{where}: optimizer {i} state", rtol)
    close(avg.state_dict(), dict(ck["averaged_model"]), f"{where}: averaged model", rtol)


def state_types(pairs, avg, swalr):
    def opt(o):
        sd = o.state_dict()
        for g in sd["param_groups"]:
            g.pop("param_names", None)     # format v1 records them; PyTorch keeps what it is given
        return types(sd)
    return {"optimizers": [(opt(o), types(s.state_dict()) if s else None) for o, s in pairs],
            "averaged_model": types(avg.state_dict()), "swalr": types(swalr.state_dict()) if swalr else None}


@pytest.mark.parametrize("name", list(RECIPES))
def test_recipe_crosses_both_ways(tmp_path, name):
    cfg = config(name)
    rtol = RTOL.get(name, 1e-5)
    torch.set_num_threads(1)

    # PyTorch -> ckpt_torch.save -> ckpt resume
    torch.manual_seed(0)
    model = ckpt_torch.mlp(MODEL["sizes"])
    pairs, avg, swalr = build(cfg, model)
    lrs = train(model, pairs, avg, swalr, cfg, 0, FIRST)
    native = state_types(pairs, avg, swalr)
    saved = str(tmp_path / "torch-3.h5")
    ckpt_torch.save(saved, model, pairs[0][0], pairs[0][1],
                    progress={"epoch": FIRST, "global_step": len(lrs), "lr": lrs, "loss": [0.0] * len(lrs)},
                    config=cfg, averaged_model=avg, swa_scheduler=swalr, optimizers=pairs[1:])
    torch_more = train(model, pairs, avg, swalr, cfg, FIRST, TOTAL - FIRST)
    ckpt("resume", saved, "--out", str(tmp_path / "of-torch"))
    end = str(tmp_path / "of-torch" / f"epoch-{TOTAL}.h5")
    resumed = ckpt_torch.load(end)
    assert lr_bits(resumed["progress"]["lr"][len(lrs):].tolist()) == lr_bits(torch_more), "ckpt resume of PyTorch's file"
    assert resumed["averaged_model"]["n_averaged"].item() == avg.n_averaged.item()
    same_state(model, pairs, avg, end, "ckpt resume of PyTorch's file", rtol)

    # ckpt train -> ckpt_torch.load -> PyTorch continues, beside ckpt resume
    (tmp_path / "cfg.json").write_text(json.dumps(cfg))
    ckpt("train", "--config", str(tmp_path / "cfg.json"), "--out", str(tmp_path / "train"), "--epochs", str(FIRST))
    start = str(tmp_path / "train" / f"epoch-{FIRST}.h5")
    ckpt("resume", start, "--epochs", str(TOTAL), "--out", str(tmp_path / "resume"))
    reference = str(tmp_path / "resume" / f"epoch-{TOTAL}.h5")
    ck = ckpt_torch.load(start)
    model2 = ckpt_torch.mlp(MODEL["sizes"])
    model2.load_state_dict(ck["model"])
    pairs2, avg2, swalr2 = build(cfg, model2)
    sections = [(ck["optimizer"], ck["scheduler"])] + [(e["optimizer"], e["scheduler"]) for e in ck["optimizers"]]
    assert len(sections) == len(pairs2)
    for (o, s), (osd, ssd) in zip(pairs2, sections):
        o.load_state_dict(osd)
        assert (s is None) == (ssd is None)
        if s is not None:
            s.load_state_dict(ssd)
    avg2.load_state_dict(ck["averaged_model"])
    if swalr2 is not None:
        swalr2.load_state_dict(ck["swa_scheduler"])
    else:
        assert ck["swa_scheduler"] is None
    assert state_types(pairs2, avg2, swalr2) == native
    more = train(model2, pairs2, avg2, swalr2, cfg, FIRST, TOTAL - FIRST)
    ref = ckpt_torch.load(reference)
    assert lr_bits(more) == lr_bits(ref["progress"]["lr"][ck["progress"]["global_step"]:].tolist()), \
        "PyTorch continuing ckpt's file"
    assert ref["averaged_model"]["n_averaged"].item() == avg2.n_averaged.item()
    same_state(model2, pairs2, avg2, reference, "PyTorch continuing ckpt's file", rtol)


def test_sparse_adam_state_crosses_both_ways(tmp_path):
    """SparseAdam steps only sparse gradients, which ckpt has none of: PyTorch's state (after
    steps on an nn.Embedding(sparse=True)) saved by ckpt_torch.save passes `ckpt verify`, shows
    in `ckpt inspect`, and `ckpt diff` of it against itself is clean; it loads back into a
    fresh torch SparseAdam with PyTorch's types and bits."""
    torch.manual_seed(0)
    emb = torch.nn.Embedding(20, 4, sparse=True)
    opt = torch.optim.SparseAdam(emb.parameters(), lr=0.01, betas=(0.8, 0.99))
    for k in range(3):
        opt.zero_grad()
        emb(torch.tensor([k, 3, 7 + k])).pow(2).sum().backward()
        opt.step()
    path = str(tmp_path / "sparse.h5")
    ckpt_torch.save(path, emb, opt)
    for args in (["verify", path], ["inspect", path], ["diff", path, path]):
        done = subprocess.run([CKPT, *args], capture_output=True, text=True)
        assert done.returncode == 0, f"ckpt {args[0]}: {done.stdout}{done.stderr}"
    assert "SparseAdam" in subprocess.run([CKPT, "inspect", path], capture_output=True, text=True).stdout
    ck = ckpt_torch.load(path)
    emb2 = torch.nn.Embedding(20, 4, sparse=True)
    emb2.load_state_dict(ck["model"])
    opt2 = torch.optim.SparseAdam(emb2.parameters(), lr=0.5)
    opt2.load_state_dict(ck["optimizer"])
    ours, theirs = opt2.state_dict(), opt.state_dict()
    for g in ours["param_groups"]:
        g.pop("param_names", None)
    assert types(ours) == types(theirs)
    for i, st in theirs["state"].items():
        for k, v in st.items():
            mine = ours["state"][i][k]
            assert torch.equal(mine, v) if isinstance(v, torch.Tensor) else mine == v, k
    assert ours["param_groups"][0]["lr"] == 0.01
