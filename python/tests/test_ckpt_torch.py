"""Tests of python/ckpt_torch.py. The format half needs h5py and numpy (without them the whole
module is skipped, with a message); the PyTorch half is skipped where torch is not installed.

Run: python3 -m pytest -q -rs python/tests
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

np = pytest.importorskip("numpy", reason="numpy is not installed: ckpt_torch needs it (make python-deps installs it)")
h5py = pytest.importorskip("h5py", reason="h5py is not installed: ckpt_torch needs it (make python-deps installs it)")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import ckpt_torch  # noqa: E402

SWIFT_RUN = os.path.join(ROOT, "fixtures", "interop", "swift_run.h5")      # written by `ckpt train`
PYTHON_RUN = os.path.join(ROOT, "fixtures", "interop", "python_run.h5")    # written by ckpt_torch.save
CKPT = os.path.join(ROOT, ".build", "release", "ckpt")

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed: the torch half of ckpt_torch is not tested")


# ----------------------------------------------------------------------------- checksums

@pytest.mark.parametrize("data,expected", [
    (b"", 0xEF46DB3751D8E999),      # XXH64 spec test vectors (seed 0)
    (b"a", 0xD24EC4F1A98C6E5B),
    (b"abc", 0x44BC2CF5AD770999),
])
def test_pure_xxh64_matches_known_vectors(data, expected):
    assert ckpt_torch._xxh64_pure(data) == expected


def test_pure_xxh64_matches_every_length_class():
    xxhash = pytest.importorskip("xxhash", reason="the xxhash package is not installed")
    rng = np.random.default_rng(0)
    for n in [1, 3, 4, 7, 8, 12, 31, 32, 33, 63, 64, 100, 1000]:
        b = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert ckpt_torch._xxh64_pure(b) == xxhash.xxh64_intdigest(b), n


# ----------------------------------------------------------------------------- reading Swift's files

def test_reads_a_checkpoint_written_by_the_swift_cli():
    r = ckpt_torch.read(SWIFT_RUN)   # checksums verified
    assert r["metadata"]["format"] == "ckpt" and r["metadata"]["format_version"] == 1
    assert list(r["model"]) == ["net.1.weight", "net.1.bias", "net.3.weight", "net.3.bias"]
    assert r["model"]["net.1.weight"].dtype == np.float32 and r["model"]["net.1.weight"].shape == (2, 3072)
    o = r["optimizer"]
    assert list(o) == ["type", "state", "param_groups"] and o["type"] == "Adam"
    g = o["param_groups"][0]
    assert g["betas"] == (0.8, 0.99) and type(g["betas"]) is tuple
    assert g["foreach"] is None and g["amsgrad"] is False and type(g["weight_decay"]) is int
    assert g["params"] == [0, 1, 2, 3]
    assert list(o["state"]) == [0, 1, 2, 3]                       # int keys, as PyTorch's
    step = o["state"][0]["step"]
    assert step.shape == () and step.dtype == np.float32 and step == 4
    s = r["scheduler"]
    assert s["type"] == "SequentialLR" and [c["type"] for c in s["_schedulers"]] == ["LinearLR", "StepLR"]
    p = r["progress"]
    assert p["epoch"] == 2 and p["global_step"] == 4
    assert p["lr"].dtype == np.float64 and p["lr"].shape == (4, 1) and p["loss"].dtype == np.float32
    config = json.loads(r["metadata"]["config"])
    assert config["optimizer"]["type"] == "Adam"
    # param_name is derived metadata the Swift writer adds; reading drops it, as Swift does.
    with h5py.File(SWIFT_RUN, "r") as f:
        assert f["optimizer/state/0"].attrs["param_name"] == "net.1.weight"
    assert "param_name" not in o["state"][0]


def test_a_flipped_bit_fails_the_checksum(tmp_path):
    path = tmp_path / "t.h5"
    shutil.copy(SWIFT_RUN, path)
    needle = ckpt_torch.read(SWIFT_RUN)["model"]["net.1.weight"].tobytes()[:64]
    data = bytearray(path.read_bytes())
    at = data.find(needle)
    assert at > 0
    data[at] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ckpt_torch.CheckpointError, match="/model/net.1.weight: checksum mismatch"):
        ckpt_torch.read(str(path))
    assert ckpt_torch.read(str(path), verify=False)["model"]["net.1.weight"].shape == (2, 3072)


def test_refuses_files_that_are_not_format_v1(tmp_path):
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(ckpt_torch.CheckpointError, match="'format' is missing"):
        ckpt_torch.read(str(tmp_path / "plain.h5"))
    shutil.copy(SWIFT_RUN, tmp_path / "v2.h5")
    with h5py.File(tmp_path / "v2.h5", "r+") as f:
        f.attrs["format_version"] = np.int64(2)
    with pytest.raises(ckpt_torch.CheckpointError, match=r"bytes, the manifest says \d+ \(\d+ bytes more\): the file was edited"
                       r".*h5py in \"r\+\".*verify=False"):   # edited in place
        ckpt_torch.read(str(tmp_path / "v2.h5"))
    with pytest.raises(ckpt_torch.CheckpointError, match="found 2, this reader supports 1"):
        ckpt_torch.read(str(tmp_path / "v2.h5"), verify=False)


# ----------------------------------------------------------------------------- writing

def _layout(path):
    """Every object's attributes as (name, HDF5 class, dtype, shape) and datasets' types, in
    creation order: what the Swift reader depends on."""
    out = []

    def attrs(obj):
        rows = []
        for k in obj.attrs:
            if obj.name == "/" and k in ("created_by", "created_at"):
                continue
            a = obj.attrs.get_id(k)
            value = obj.attrs[k]
            rows.append((k, a.get_type().get_class(), str(a.dtype), a.shape,
                         value.tolist() if isinstance(value, np.ndarray) else repr(value)))
        return rows

    def visit(name, obj):
        kind = "dataset" if isinstance(obj, h5py.Dataset) else "group"
        extra = (str(obj.dtype), obj.shape, obj.chunks) if kind == "dataset" else ()
        out.append((obj.name, kind, extra, attrs(obj)))

    with h5py.File(path, "r") as f:
        out.append(("/", "group", (), attrs(f)))
        f.visititems(visit)
    return out


def test_rewriting_a_swift_checkpoint_gives_the_same_layout(tmp_path):
    r = ckpt_torch.read(SWIFT_RUN)
    meta = {k: v for k, v in r.pop("metadata").items() if k not in ("format", "format_version")}
    out = str(tmp_path / "py.h5")
    ckpt_torch.write(out, r, meta)
    swift, python = _layout(SWIFT_RUN), _layout(out)
    assert [x[0] for x in swift] == [x[0] for x in python]
    for a, b in zip(swift, python):
        assert a == b, a[0]


def test_values_round_trip_with_their_python_types(tmp_path):
    sd = {
        "model": {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array(1.5, dtype=np.float64),
                  "h": np.array([1, 2], dtype=np.float16), "i": np.array([-1], dtype=np.int64),
                  "m": np.array([True, False]), "u": np.zeros((0, 2), dtype=np.uint8)},
        "scheduler": {"type": "Custom", "t": (1, 2), "l": [1.0, 2.5], "e": [], "et": (), "none": None,
                      "bools": [True, False], "names": ["a", "b"], "mixed": [1, 2.0, None, "x"],
                      "nested": [{"a": 1}, (2.0, [3])], "big": 2**62, "neg": -0.0, "inf": float("inf"),
                      "t2": np.arange(3, dtype=np.int32), "last": "end"},
    }
    path = str(tmp_path / "v.h5")
    ckpt_torch.write(path, sd)
    back = ckpt_torch.read(path)
    s = back["scheduler"]
    assert list(s) == list(sd["scheduler"])      # order kept across attributes and links
    for k, v in sd["scheduler"].items():
        if isinstance(v, np.ndarray):
            assert np.array_equal(s[k], v) and s[k].dtype == v.dtype
        else:
            assert s[k] == v and type(s[k]) is type(v), k
    assert type(s["nested"][1]) is tuple and type(s["nested"][1][1]) is list
    assert str(np.copysign(1, s["neg"])) == "-1.0"
    for k, v in sd["model"].items():
        assert back["model"][k].dtype == v.dtype and back["model"][k].shape == v.shape and np.array_equal(back["model"][k], v)


def test_save_is_atomic(tmp_path):
    path = str(tmp_path / "a.h5")
    ckpt_torch.write(path, {"model": {"w": np.ones(2, dtype=np.float32)}})
    with pytest.raises(TypeError, match="/model/bad: unsupported value of type object"):
        ckpt_torch.write(path, {"model": {"w": np.zeros(2, dtype=np.float32), "bad": object()}})
    assert os.listdir(tmp_path) == ["a.h5"]          # no temporary left behind
    assert np.array_equal(ckpt_torch.read(path)["model"]["w"], np.ones(2, dtype=np.float32))  # old file intact
    with pytest.raises(ValueError, match="reserved"):
        ckpt_torch.write(path, {"model": {"__ckpt_kind__": np.zeros(1)}})


@pytest.mark.skipif(not os.access(CKPT, os.X_OK), reason="the Swift CLI is not built (.build/release/ckpt)")
def test_the_swift_cli_verifies_a_python_written_file(tmp_path):
    r = ckpt_torch.read(SWIFT_RUN)
    meta = {k: v for k, v in r.pop("metadata").items() if k not in ("format", "format_version")}
    out = str(tmp_path / "py.h5")
    ckpt_torch.write(out, r, meta)
    done = subprocess.run([CKPT, "verify", out], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([CKPT, "diff", SWIFT_RUN, out], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([CKPT, "verify", PYTHON_RUN], capture_output=True, text=True)   # from a torch run
    assert done.returncode == 0, done.stdout + done.stderr


def _manifest(path):
    with open(path, "rb") as f:
        return f.read(4096).split(b"\0", 1)[0].decode().split("\n")


def test_writes_and_checks_the_manifest_like_the_swift_side(tmp_path):
    r = ckpt_torch.read(SWIFT_RUN)
    meta = {k: v for k, v in r.pop("metadata").items() if k not in ("format", "format_version")}
    out = tmp_path / "py.h5"
    ckpt_torch.write(str(out), r, meta)
    swift, python = _manifest(SWIFT_RUN), _manifest(out)
    assert python[0] == swift[0] == "CKPT-MANIFEST v1"
    assert python[1] == swift[1]                                      # same user block size
    assert python[2] == f"file_size {out.stat().st_size}"
    ranges = lambda lines: next(x for x in lines if x.startswith("tensor_ranges "))
    assert ranges(python) == ranges(swift)                            # same number of tensor ranges
    # A flipped bit in HDF5 metadata (outside the tensors) fails before h5py parses the file.
    data = bytearray(out.read_bytes())
    ub = int(python[1].split()[1])
    data[ub + 100] ^= 0x40
    out.write_bytes(bytes(data))
    with pytest.raises(ckpt_torch.CheckpointError, match="metadata checksum mismatch"):
        ckpt_torch.read(str(out))
    data = bytearray(out.read_bytes())[:-10]
    out.write_bytes(bytes(data))
    with pytest.raises(ckpt_torch.CheckpointError, match=r"truncated: \d+ bytes, the manifest says \d+ \(10 bytes missing at the end\)"):
        ckpt_torch.read(str(out))


@pytest.mark.parametrize("n,expected", [(0, 0x726FDB47DD0E0E31), (1, 0x74F839C593DC67FD),
                                        (8, 0x93F5F5799A932462), (15, 0xA129CA6149BE45E5)])
def test_siphash24_matches_the_published_vectors(n, expected):
    # Key 00..0f, message 00..(n-1): the vectors of the SipHash paper (Aumasson, Bernstein).
    assert ckpt_torch.siphash24(bytes(range(16)), bytes(range(n))) == expected


def test_saves_are_signed_with_the_users_key(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    r = ckpt_torch.read(SWIFT_RUN)
    meta = {k: v for k, v in r.pop("metadata").items() if k not in ("format", "format_version")}
    out = tmp_path / "py.h5"
    ckpt_torch.write(str(out), r, meta)
    key_file = tmp_path / "config" / "ckpt" / "manifest.key"
    assert key_file.stat().st_mode & 0o777 == 0o600 and key_file.stat().st_size == 16
    assert (tmp_path / "config" / "ckpt").stat().st_mode & 0o077 == 0
    lines = _manifest(out)
    tag = [x for x in lines if x.startswith("metadata_siphash24 ")]
    assert len(tag) == 1 and lines[4] == tag[0]       # after metadata_xxh64, as the Swift side writes it
    # The tag: SipHash-2-4 of the manifest text without its line, then every metadata byte.
    ub = int(lines[1].split()[1])
    ranges = [tuple(map(int, x.split())) for x in lines[6:6 + int(lines[5].split()[1])]]
    with open(out, "rb") as f:
        metadata = ckpt_torch._metadata_bytes(f, ub, out.stat().st_size, sorted(ranges))
    text = "\n".join(x for x in lines if not x.startswith("metadata_siphash24 ")).encode()
    assert ckpt_torch.siphash24(key_file.read_bytes(), text + metadata) == int(tag[0].split()[1], 16)
    # The next save uses the same key; a key file others can read is not used (nothing signed).
    ckpt_torch.write(str(tmp_path / "again.h5"), r, meta)
    assert key_file.stat().st_size == 16 and any(x.startswith("metadata_siphash24 ") for x in _manifest(tmp_path / "again.h5"))
    key_file.chmod(0o644)
    ckpt_torch.write(str(tmp_path / "shared.h5"), r, meta)
    assert not any(x.startswith("metadata_siphash24 ") for x in _manifest(tmp_path / "shared.h5"))
    assert ckpt_torch.read(str(tmp_path / "shared.h5"))["model"].keys() == r["model"].keys()


# ----------------------------------------------------------------------------- PyTorch

def _deep_equal(a, b, path=""):
    if torch is not None and isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, path
        assert torch.equal(a, b), path
        return
    assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), f"{path}: {type(a)} vs {type(b)}"
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _deep_equal(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _deep_equal(x, y, f"{path}/{i}")
    else:
        assert a == b or (a != a and b != b), f"{path}: {a!r} vs {b!r}"





def _swift_run_objects(model):
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    sched = torch.optim.lr_scheduler.SequentialLR(
        opt, [torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=1),
              torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)], milestones=[1])
    return opt, sched


@needs_torch
def test_pytorch_accepts_a_swift_checkpoint_in_the_documented_order():
    ck = ckpt_torch.load(SWIFT_RUN)
    model = ckpt_torch.mlp(ck["config"]["model"]["sizes"])
    model.load_state_dict(ck["model"])
    opt, sched = _swift_run_objects(model)        # build optimizer, build scheduler
    opt.load_state_dict(ck["optimizer"])          # then load optimizer, load scheduler
    sched.load_state_dict(ck["scheduler"])
    assert sched.get_last_lr() == [0.005] and opt.param_groups[0]["lr"] == 0.005
    state = opt.state_dict()
    assert set(state["state"]) == {0, 1, 2, 3}
    step = state["state"][0]["step"]
    assert step.dtype == torch.float32 and step.shape == () and step.item() == 4
    _deep_equal(state["state"], ck["optimizer"]["state"])
    assert state["param_groups"][0]["betas"] == (0.8, 0.99)
    assert ck["progress"]["lr"].dtype == torch.float64


@needs_torch
def test_a_pytorch_run_saved_and_loaded_is_unchanged(tmp_path):
    torch.manual_seed(0)
    model = ckpt_torch.mlp([3072, 2, 10])
    opt, sched = _swift_run_objects(model)
    x, y = torch.randn(8, 3, 32, 32), torch.arange(8) % 10
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sched.step()
    path = str(tmp_path / "run.h5")
    ckpt_torch.save(path, model, opt, sched, progress={"epoch": 3, "global_step": 3, "lr": [[0.1]] * 3, "loss": [1.0] * 3},
                    config={"seed": 0})
    assert os.listdir(tmp_path) == ["run.h5"]
    ck = ckpt_torch.load(path)
    model2 = ckpt_torch.mlp([3072, 2, 10])
    model2.load_state_dict(ck["model"])
    opt2, sched2 = _swift_run_objects(model2)
    opt2.load_state_dict(ck["optimizer"])
    sched2.load_state_dict(ck["scheduler"])
    _deep_equal(model2.state_dict(), model.state_dict())
    saved_groups = opt2.state_dict()["param_groups"]
    # format v1 records param_names (from the model); PyTorch keeps them on load.
    assert saved_groups[0]["param_names"] == ["net.1.weight", "net.1.bias", "net.3.weight", "net.3.bias"]
    for g in saved_groups:
        del g["param_names"]
    _deep_equal(dict(opt2.state_dict(), param_groups=saved_groups), opt.state_dict())
    _deep_equal(sched2.state_dict(), sched.state_dict())
    assert ck["config"] == {"seed": 0} and ck["progress"]["global_step"] == 3
    raw = ckpt_torch.read(path)
    assert raw["optimizer"]["type"] == "Adam" and raw["scheduler"]["type"] == "SequentialLR"
    assert [c["type"] for c in raw["scheduler"]["_schedulers"]] == ["LinearLR", "StepLR"]


@needs_torch
def test_the_committed_python_fixture_matches_its_generator():
    ck = ckpt_torch.load(PYTHON_RUN)
    with open(os.path.join(ROOT, "fixtures", "interop", "python_run.json")) as f:
        ref = json.load(f)
    for k, v in ck["model"].items():
        assert v.flatten().tolist() == ref["model"][k]["data"]
    assert ck["scheduler"]["_schedulers"][1]["gamma"] == ref["scheduler"]["_schedulers"][1]["gamma"]


@needs_torch
@pytest.mark.skipif(not os.access(CKPT, os.X_OK), reason="the Swift CLI is not built (.build/release/ckpt)")
def test_averaged_model_and_later_optimizers_load_into_pytorch(tmp_path):
    """A `ckpt train` run with an EMA average and two optimizers (Muon + AdamW): its
    /averaged_model loads into torch.optim.swa_utils.AveragedModel as that class's own state
    dict (n_averaged, module.*), and /optimizers/1 into the second PyTorch optimizer."""
    cfg = {"model": {"type": "mlp", "sizes": [3072, 16, 10]},
           "data": {"dataset": "synthetic", "train_size": 24, "test_size": 0, "batch_size": 8},
           "optimizers": [
               {"params": ["net.1.weight"], "type": "Muon", "lr": 0.02,
                "scheduler": {"type": "ExponentialLR", "gamma": 0.5}},
               {"params": ["*"], "type": "AdamW", "lr": 0.01}],
           "averaging": {"type": "ema", "decay": 0.9}, "epochs": 2, "seed": 1}
    (tmp_path / "cfg.json").write_text(json.dumps(cfg))
    done = subprocess.run([CKPT, "train", "--config", str(tmp_path / "cfg.json"), "--out", str(tmp_path / "run")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ck = ckpt_torch.load(str(tmp_path / "run" / "epoch-2.h5"))
    model = ckpt_torch.mlp([3072, 16, 10])
    model.load_state_dict(ck["model"])
    swa = torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.9))
    assert list(ck["averaged_model"]) == list(swa.state_dict())      # n_averaged, then module.*
    swa.load_state_dict(ck["averaged_model"])
    n = swa.state_dict()["n_averaged"]
    assert n.dtype == torch.int64 and n.shape == () and n.item() == 6
    for k, v in ck["averaged_model"].items():
        assert torch.equal(swa.state_dict()[k], v), k
    assert not torch.equal(swa.module.net[1].weight, ck["model"]["net.1.weight"])
    # Muon over the hidden matrix, AdamW over the rest, each with its own state dict.
    named = dict(model.named_parameters())
    muon = torch.optim.Muon([named["net.1.weight"]], lr=0.02)
    sched = torch.optim.lr_scheduler.ExponentialLR(muon, gamma=0.5)
    adamw = torch.optim.AdamW([p for k, p in named.items() if k != "net.1.weight"], lr=0.01)
    muon.load_state_dict(ck["optimizer"])
    sched.load_state_dict(ck["scheduler"])
    assert len(ck["optimizers"]) == 1 and ck["optimizers"][0]["scheduler"] is None
    adamw.load_state_dict(ck["optimizers"][0]["optimizer"])
    assert muon.param_groups[0]["lr"] == 0.02 * 0.5 * 0.5
    assert adamw.state_dict()["param_groups"][0]["param_names"] == ["net.1.bias", "net.3.weight", "net.3.bias"]
    assert adamw.state_dict()["state"][0]["step"].item() == 6


# ----------------------------------------------------------------------------- bfloat16, int16, int8

BF16_FIXTURE = os.path.join(ROOT, "fixtures", "h5py", "bfloat16_python.h5")


def _dtypes_pt_rows():
    """expected.json's rows of fixtures/torch/dtypes.pt by name: what PyTorch loaded."""
    with open(os.path.join(ROOT, "fixtures", "torch", "expected.json")) as f:
        return {r["path"]: r for r in json.load(f)["dtypes.pt"]}


def test_bfloat16_int16_int8_round_trip_without_torch(tmp_path):
    rows = _dtypes_pt_rows()
    bits = ckpt_torch.BFloat16Bits.of(rows["bf16"]["bits"])
    sd = {"model": {"bf16": bits, "i16": np.array(rows["i16"]["values"], dtype=np.int16),
                    "i8": np.array(rows["i8"]["values"], dtype=np.int8).reshape(2, 2)}}
    path = str(tmp_path / "d.h5")
    ckpt_torch.write(path, sd)
    with h5py.File(path, "r") as f:   # what a plain h5py user sees: the bits, named
        assert f["model/bf16"].dtype == np.uint16 and f["model/bf16"].attrs["__ckpt_dtype__"] == "bfloat16"
        assert f["model/i8"].dtype == np.int8 and "__ckpt_dtype__" not in f["model/i8"].attrs
    back = ckpt_torch.read(path)["model"]
    assert isinstance(back["bf16"], ckpt_torch.BFloat16Bits) and back["bf16"].tolist() == rows["bf16"]["bits"]
    values = back["bf16"].to_float32().tolist()
    assert values[:4] == rows["bf16"]["values"][:4] and np.isnan(values[4]) and values[5] == -np.inf
    for k in ("i16", "i8"):
        assert back[k].dtype == sd["model"][k].dtype and np.array_equal(back[k], sd["model"][k])


def test_reads_the_bfloat16_fixture_without_torch():
    rows = _dtypes_pt_rows()
    m = ckpt_torch.read(BF16_FIXTURE)["model"]
    assert m["bf16"].tolist() == rows["bf16"]["bits"]
    assert m["i16"].tolist() == rows["i16"]["values"] and m["i8"].reshape(-1).tolist() == rows["i8"]["values"]


@needs_torch
def test_load_gives_torch_bfloat16_equal_to_what_torch_saved(tmp_path):
    saved = torch.load(os.path.join(ROOT, "fixtures", "torch", "dtypes.pt"), weights_only=True)
    m = ckpt_torch.load(BF16_FIXTURE)["model"]
    for k in ("bf16", "i16", "i8"):
        assert m[k].dtype == saved[k].dtype and torch.equal(m[k].view(torch.uint8), saved[k].view(torch.uint8)), k
    path = str(tmp_path / "again.h5")
    ckpt_torch.save(path, {k: saved[k] for k in ("bf16", "i16", "i8")}, durable=False)
    again = ckpt_torch.load(path)["model"]
    assert again["bf16"].dtype == torch.bfloat16 and torch.equal(again["bf16"].view(torch.int16), saved["bf16"].view(torch.int16))


@needs_torch
@pytest.mark.skipif(not os.access(CKPT, os.X_OK), reason="the Swift CLI is not built (.build/release/ckpt)")
def test_pt_written_by_ckpt_loads_in_torch_as_bfloat16_int16_int8(tmp_path):
    """ckpt convert .h5 -> .pt (BFloat16Storage, ShortStorage, CharStorage) and .h5 ->
    .safetensors: torch.load(weights_only=True) and safetensors give PyTorch's own tensors."""
    saved = torch.load(os.path.join(ROOT, "fixtures", "torch", "dtypes.pt"), weights_only=True)
    pt, st = str(tmp_path / "m.pt"), str(tmp_path / "m.safetensors")
    for out in (pt, st):
        done = subprocess.run([CKPT, "convert", BF16_FIXTURE, out], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    loaded = torch.load(pt, weights_only=True)
    safetensors_torch = pytest.importorskip("safetensors.torch")
    from_st = safetensors_torch.load_file(st)
    for m in (loaded, from_st):
        assert list(m) == ["bf16", "i16", "i8"]
        for k, t in m.items():
            assert t.dtype == saved[k].dtype and t.shape == saved[k].shape, k
            assert torch.equal(t.reshape(-1).view(torch.uint8), saved[k].reshape(-1).view(torch.uint8)), k
