"""Dict key types across the format (docs/FORMAT.md "Key types"): int keys and Counters written
by python/ckpt_torch.py and the Swift CLI come back as PyTorch had them, files written before the
tags existed are read with PyTorch's types inferred, and a MultiStepLR run moves between ckpt and
PyTorch without its milestones silently turning into strings.

The format half needs h5py and numpy; the PyTorch half is skipped where torch is absent, the
end-to-end half where the Swift CLI is not built.
"""
import json
import os
import subprocess
import sys
from collections import Counter, OrderedDict

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import ckpt_torch  # noqa: E402

CKPT = os.path.join(ROOT, ".build", "release", "ckpt")
LEGACY = os.path.join(ROOT, "fixtures", "legacy")
PYTORCH = os.path.join(ROOT, "fixtures", "pytorch")

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
needs_cli = pytest.mark.skipif(not os.access(CKPT, os.X_OK), reason="the Swift CLI is not built (.build/release/ckpt)")


# ----------------------------------------------------------------------------- format

def test_int_keys_and_counters_round_trip_with_their_types(tmp_path):
    sections = {
        "model": {"w": np.zeros(2, dtype=np.float32)},
        "scheduler": OrderedDict([
            ("type", "Custom"),
            ("counts", Counter({30: 2, 5: 1, -1: 1})),          # first-occurrence order kept
            ("names", Counter({"a": 2})),                       # a Counter with str keys
            ("by_index", {3: {"x": 1}, 0: [1.5, None]}),        # int keys, links
            ("empty_counter", Counter()),
            ("nested", [{7: "seven"}, (Counter({1: 1}),)]),
        ]),
    }
    path = str(tmp_path / "k.h5")
    ckpt_torch.write(path, sections)
    s = ckpt_torch.read(path)["scheduler"]
    assert type(s["counts"]) is Counter and list(s["counts"].items()) == [(30, 2), (5, 1), (-1, 1)]
    assert type(s["names"]) is Counter and s["names"] == {"a": 2}
    assert list(s["by_index"]) == [3, 0] and s["by_index"][0] == [1.5, None]
    assert type(s["empty_counter"]) is Counter and not s["empty_counter"]
    assert s["nested"][0] == {7: "seven"} and type(s["nested"][1][0]) is Counter
    with h5py.File(path, "r") as f:
        g = f["scheduler/counts"]
        assert g.attrs["__ckpt_keys__"] == "int" and g.attrs["__ckpt_class__"] == "Counter"
        assert list(g.attrs) == ["30", "5", "-1", "__ckpt_keys__", "__ckpt_class__"]
        assert "__ckpt_keys__" not in f["scheduler/names"].attrs
        assert "__ckpt_class__" not in f["scheduler/by_index"].attrs


@pytest.mark.parametrize("keys,message", [
    ({1: 1, "a": 2}, "all str or all int"),
    ({True: 1}, "all str or all int"),
    ({1.5: 1}, "all str or all int"),
    ({2**63: 1}, "all str or all int"),
])
def test_dicts_of_other_key_types_are_refused(tmp_path, keys, message):
    with pytest.raises(TypeError, match=message):
        ckpt_torch.write(str(tmp_path / "x.h5"), {"model": {}, "scheduler": {"type": "X", "d": keys}})
    assert os.listdir(tmp_path) == []


def test_an_empty_optimizer_state_is_still_int_keyed(tmp_path):
    path = str(tmp_path / "e.h5")
    ckpt_torch.write(path, {"model": {}, "optimizer": {"type": "SGD", "state": {}, "param_groups": []}})
    with h5py.File(path, "r") as f:
        assert f["optimizer/state"].attrs["__ckpt_keys__"] == "int"


@pytest.mark.parametrize("edit,message", [
    (lambda g: g.attrs.modify("__ckpt_keys__", "float"), "expected 'int', found 'float'"),
    (lambda g: g.attrs.modify("__ckpt_class__", "defaultdict"), "expected 'Counter', found 'defaultdict'"),
    (lambda g: g.attrs.create("07", np.int64(1)), "'07' is not an int in canonical decimal form"),
])
def test_malformed_tags_are_refused(tmp_path, edit, message):
    path = str(tmp_path / "m.h5")
    ckpt_torch.write(path, {"model": {}, "scheduler": {"type": "MultiStepLR", "milestones": Counter({2: 1})}})
    with h5py.File(path, "r+") as f:
        edit(f["scheduler/milestones"])
    with pytest.raises(ckpt_torch.CheckpointError, match=message):
        ckpt_torch.read(path, verify=False)


def test_files_written_before_key_types_read_with_pytorchs_types():
    with h5py.File(os.path.join(LEGACY, "mlp_adam_multisteplr_epoch3.h5"), "r") as f:
        assert "__ckpt_keys__" not in f["optimizer/state"].attrs              # the old layout
        assert "__ckpt_class__" not in f["scheduler/milestones"].attrs
    r = ckpt_torch.read(os.path.join(LEGACY, "mlp_adam_multisteplr_epoch3.h5"))
    assert list(r["optimizer"]["state"]) == [0, 1, 2, 3]
    m = r["scheduler"]["milestones"]
    assert type(m) is Counter and list(m.items()) == [(2, 2), (4, 1)]
    s = ckpt_torch.read(os.path.join(LEGACY, "swift_run_before_key_types.h5"))
    assert list(s["optimizer"]["state"]) == [0, 1, 2, 3]


def test_the_reference_h5py_reader_honours_and_infers_key_types(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "fixtures"))
    import ckpt_h5py
    old = ckpt_h5py.read_checkpoint(os.path.join(LEGACY, "mlp_adam_multisteplr_epoch3.h5"))
    assert list(old["optimizer"]["state"]) == [0, 1, 2, 3] and old["scheduler"]["milestones"] == Counter({2: 2, 4: 1})
    path = str(tmp_path / "h.h5")
    ckpt_h5py.write_checkpoint(path, model={"w": np.ones(1, dtype=np.float32)},
                               optimizer={"type": "SGD", "state": {}, "param_groups": []},
                               scheduler={"type": "MultiStepLR", "milestones": Counter({3: 1, 1: 2})})
    new = ckpt_h5py.read_checkpoint(path)
    assert type(new["scheduler"]["milestones"]) is Counter and list(new["scheduler"]["milestones"]) == [3, 1]
    assert ckpt_torch.read(path, verify=False)["scheduler"]["milestones"] == Counter({3: 1, 1: 2})


@needs_cli
def test_the_swift_cli_writes_the_tags_and_reads_python_ones(tmp_path):
    with h5py.File(os.path.join(ROOT, "fixtures", "interop", "swift_run.h5"), "r") as f:
        assert f["optimizer/state"].attrs["__ckpt_keys__"] == "int"
    path = str(tmp_path / "py.h5")
    ckpt_torch.write(path, {"model": {"w": np.ones(2, dtype=np.float32)},
                            "scheduler": {"type": "MultiStepLR", "milestones": Counter({2: 2, 5: 1})}})
    done = subprocess.run([CKPT, "inspect", path, "scheduler"], capture_output=True, text=True)
    assert done.returncode == 0 and "Counter({2: 2, 5: 1})" in done.stdout, done.stdout + done.stderr


# ----------------------------------------------------------------------------- PyTorch

def _multistep_run(epochs_before, epochs_after):
    """A tiny PyTorch run with Adam + MultiStepLR (repeated milestone), stepped per epoch."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 2, 5, 7], gamma=0.5)

    def epoch():
        opt.zero_grad()
        model(torch.ones(4, 3)).square().mean().backward()
        opt.step()
        sched.step()
        return opt.param_groups[0]["lr"]
    [epoch() for _ in range(epochs_before)]
    return model, opt, sched, epoch


@needs_torch
def test_a_multisteplr_saved_and_loaded_keeps_decaying(tmp_path):
    model, opt, sched, epoch = _multistep_run(3, 0)
    path = str(tmp_path / "m.h5")
    ckpt_torch.save(path, model, opt, sched)
    straight = [epoch() for _ in range(6)]
    ck = ckpt_torch.load(path)
    assert type(ck["scheduler"]["milestones"]) is Counter and ck["scheduler"]["milestones"] == Counter({2: 2, 5: 1, 7: 1})
    assert set(ck["optimizer"]["state"]) == {0, 1}
    model2, opt2, sched2, epoch2 = _multistep_run(0, 0)
    model2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optimizer"])
    sched2.load_state_dict(ck["scheduler"])
    assert [epoch2() for _ in range(6)] == straight == [0.0025, 0.00125, 0.00125, 0.000625, 0.000625, 0.000625]


@needs_torch
def test_the_committed_pytorch_fixture_loads_with_the_types_pytorch_saved():
    with open(os.path.join(PYTORCH, "adam_multisteplr.json")) as f:
        ref = json.load(f)
    ck = ckpt_torch.load(os.path.join(PYTORCH, "adam_multisteplr_epoch3.h5"))
    saved = ref["saved_types"]
    assert type(ck["scheduler"]["milestones"]).__name__ == saved["scheduler"]["items"]["milestones"]["class"] == "Counter"
    assert sorted({type(k).__name__ for k in ck["optimizer"]["state"]}) == saved["optimizer"]["items"]["state"]["key_types"] == ["int"]
    assert type(ck["optimizer"]["param_groups"][0]["betas"]).__name__ == "tuple"


def _proof(script, tmp_path, config):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(config))
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "interop", script), "--ckpt", CKPT,
                           "--config", str(cfg), "--work", str(tmp_path / "work"), "--first", "3", "--total", "8"],
                          capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def multistep_config(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "scripts", "interop"))
    import common
    data = str(tmp_path / "data.h5")
    common.make_data(data, 16)
    return {"model": {"type": "lenet"},
            "data": {"dataset": "hdf5", "path": data, "batch_size": 8, "shuffle": False},
            "optimizer": {"type": "Adam", "lr": 0.01},
            "scheduler": {"type": "MultiStepLR", "milestones": [2, 2, 5, 7], "gamma": 0.5},
            "epochs": 8, "seed": 0}


@needs_torch
@needs_cli
def test_pytorch_continues_a_ckpt_multisteplr_run_as_ckpt_resume_does(tmp_path, multistep_config):
    """Issue 14: `ckpt train` 3 epochs -> ckpt_torch.load -> PyTorch continues to 8 epochs; its lr
    sequence must be `ckpt resume`'s bit for bit (it used to stay at 0.0025 forever)."""
    status, out = _proof("torch_continues_ckpt.py", tmp_path, multistep_config)
    assert status == 0, out
    assert "lr: 10 steps identical bit for bit" in out, out


@needs_torch
@needs_cli
def test_ckpt_resume_continues_a_pytorch_multisteplr_run(tmp_path, multistep_config):
    """ckpt_torch.save of a PyTorch MultiStepLR run (it used to fail on the Counter's int keys)
    -> `ckpt resume` to 8 epochs uses PyTorch's lr sequence bit for bit."""
    status, out = _proof("ckpt_continues_torch.py", tmp_path, multistep_config)
    assert status == 0, out
    assert "lr: 10 steps identical bit for bit" in out, out
