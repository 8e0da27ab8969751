"""The LeNet interop proofs (scripts/interop/*.py), both directions, on the seed's two configs:
SGD-momentum + ExponentialLR per epoch, Adam + OneCycleLR per step. Each proof asserts the lr
sequence bit for bit and LeNet's parameters within float32 tolerance (the MultiStepLR config is
in test_key_types.py). Also the safetensors round trip through the reference `safetensors`
package: `ckpt convert` -> safetensors.numpy.load_file, and safetensors.numpy.save_file ->
`ckpt convert` -> a checkpoint.

Needs torch (the proofs), safetensors (the round trip) and the Swift CLI; skipped otherwise.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import ckpt_torch  # noqa: E402

CKPT = os.path.join(ROOT, ".build", "release", "ckpt")
try:
    import torch
except ImportError:
    torch = None
try:
    import safetensors.numpy as st
except ImportError:
    st = None
needs_cli = pytest.mark.skipif(not os.access(CKPT, os.X_OK), reason="the Swift CLI is not built (.build/release/ckpt)")

CONFIGS = {
    "sgd-exponential-epoch": {"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9},
                              "scheduler": {"type": "ExponentialLR", "gamma": 0.9, "interval": "epoch"},
                              "batch_size": 8},
    "adam-onecycle-step": {"optimizer": {"type": "Adam", "lr": 0.001, "betas": [0.9, 0.99], "weight_decay": 0.0001},
                           "scheduler": {"type": "OneCycleLR", "max_lr": 0.01, "total_steps": 16, "interval": "step"},
                           "batch_size": 16},
}


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    if torch is None:
        pytest.skip("PyTorch is not installed")
    sys.path.insert(0, os.path.join(ROOT, "scripts", "interop"))
    import common
    path = str(tmp_path_factory.mktemp("data") / "data.h5")
    common.make_data(path, 64)
    return path


def run_config(name, data):
    c = CONFIGS[name]
    return {"model": {"type": "lenet"},
            "data": {"dataset": "hdf5", "path": data, "batch_size": c["batch_size"], "shuffle": False},
            "optimizer": c["optimizer"], "scheduler": c["scheduler"], "epochs": 4, "seed": 0}


@needs_cli
@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("proof", ["torch_continues_ckpt.py", "ckpt_continues_torch.py"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_lenet_crosses_the_border(tmp_path, data_file, name, proof):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(run_config(name, data_file)))
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "interop", proof), "--ckpt", CKPT,
                           "--config", str(cfg), "--work", str(tmp_path / "work")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "identical bit for bit" in done.stdout, done.stdout


@needs_cli
@pytest.mark.skipif(st is None, reason="the safetensors package is not installed")
def test_safetensors_round_trip_through_the_reference_package(tmp_path):
    source = os.path.join(ROOT, "fixtures", "interop", "swift_run.h5")
    subprocess.run([CKPT, "convert", source, str(tmp_path / "m.safetensors")], check=True, capture_output=True)
    ours, theirs = ckpt_torch.read(source)["model"], st.load_file(str(tmp_path / "m.safetensors"))
    assert theirs and set(ours) == set(theirs)
    for k in ours:
        assert ours[k].dtype == theirs[k].dtype and np.array_equal(ours[k], theirs[k]), k
    st.save_file({k: v * 2 for k, v in theirs.items()}, str(tmp_path / "back.safetensors"))
    subprocess.run([CKPT, "convert", str(tmp_path / "back.safetensors"), str(tmp_path / "back.h5")],
                   check=True, capture_output=True)
    back = ckpt_torch.read(str(tmp_path / "back.h5"))["model"]
    assert set(back) == set(ours) and all(np.array_equal(ours[k] * 2, back[k]) for k in ours)
