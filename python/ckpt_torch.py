"""Read and write ckpt checkpoints (format v1, docs/FORMAT.md) from Python and PyTorch.

PyTorch side (needs torch):

    ckpt = ckpt_torch.load("runs/default/epoch-2.h5")
    model.load_state_dict(ckpt["model"])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)   # 1. build optimizer
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)   # 2. build scheduler
    optimizer.load_state_dict(ckpt["optimizer"])                               # 3. load optimizer
    scheduler.load_state_dict(ckpt["scheduler"])                               # 4. load scheduler

    ckpt_torch.save("run.h5", model, optimizer, scheduler,
                    progress={"epoch": 2, "global_step": 32, "lr": lrs, "loss": losses},
                    config=run_config)          # `ckpt resume run.h5` continues it

`load` returns PyTorch's own state dicts: our `type` keys are dropped, `step` is a 0-d float32
tensor, and ints, floats, bools, tuples, None, int dict keys (optimizer state indices) and
Counters (MultiStepLR's milestones) come back as the Python values PyTorch had, also from files
written before the format recorded key types. `save` writes exactly what the Swift writer writes
(same attribute types, the same encoding of None, lists, tuples, dicts and their key types,
XXH64 checksums, the manifest in the HDF5 user block), atomically
(temporary file, fsync, rename, fsync of the directory).

Format side (h5py and numpy only; torch is imported lazily):

    read(path, verify=True) -> {"metadata": {...}, "model": {...}, "optimizer": ..., ...}
    write(path, sections, metadata=None)     # sections of Python values and numpy arrays
"""
import json
import os
import random
import re
import stat
import struct
import time
from collections import Counter, OrderedDict

import h5py
import numpy as np

try:
    import xxhash as _xxhash
except ImportError:  # pure-Python XXH64 below (slow: fine for small files)
    _xxhash = None

FORMAT_NAME = "ckpt"
FORMAT_VERSION = 1
# averaged_model: AveragedModel.state_dict() (n_averaged, module.*); swa_scheduler: SWALR's;
# optimizers: a run's later optimizers, {"1": {"optimizer": ..., "scheduler": ...}, ...}.
SECTIONS = ("model", "optimizer", "scheduler", "progress", "rng", "averaged_model", "swa_scheduler", "optimizers")
KIND, TUPLES, ORDER = "__ckpt_kind__", "__ckpt_tuples__", "__ckpt_order__"
KEYS, CLASS = "__ckpt_keys__", "__ckpt_class__"   # "int" keys; "Counter"
RESERVED_PREFIX = "__ckpt_"
# On a tensor dataset: the dtype its HDF5 type does not name. Only "bfloat16", stored as
# uint16 bit patterns (HDF5 and numpy have no bfloat16; docs/FORMAT.md).
DTYPE_ATTR = "__ckpt_dtype__"
MAX_DEPTH = 64
MAX_OBJECTS = 2_000_000

__all__ = ["load", "save", "read", "write", "checksum", "xxh64", "CheckpointError", "BFloat16Bits"]


class CheckpointError(ValueError):
    """A file that is not a valid format v1 checkpoint; the message names the file and path."""

    def __init__(self, file, path, reason):
        super().__init__(f"{file}: {path}: {reason}")
        self.file, self.path, self.reason = file, path, reason


# ----------------------------------------------------------------------------- checksums

_M = (1 << 64) - 1
_P1, _P2, _P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
_P4, _P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M


def _round(acc, lane):
    return (_rotl((acc + lane * _P2) & _M, 31) * _P1) & _M


def _xxh64_pure(data, seed=0):
    """XXH64 from the algorithm's specification (used when the `xxhash` package is absent)."""
    n = len(data)
    p = 0
    if n >= 32:
        v = [(seed + _P1 + _P2) & _M, (seed + _P2) & _M, seed & _M, (seed - _P1) & _M]
        stripes = n // 32
        lanes = struct.unpack_from(f"<{stripes * 4}Q", data, 0)
        for s in range(stripes):
            for i in range(4):
                v[i] = _round(v[i], lanes[4 * s + i])
        p = stripes * 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M
        for i in range(4):
            h = ((h ^ _round(0, v[i])) * _P1 + _P4) & _M
    else:
        h = (seed + _P5) & _M
    h = (h + n) & _M
    while p + 8 <= n:
        (k,) = struct.unpack_from("<Q", data, p)
        h = (_rotl(h ^ _round(0, k), 27) * _P1 + _P4) & _M
        p += 8
    if p + 4 <= n:
        (k,) = struct.unpack_from("<I", data, p)
        h = (_rotl(h ^ (k * _P1 & _M), 23) * _P2 + _P3) & _M
        p += 4
    while p < n:
        h = (_rotl(h ^ (data[p] * _P5 & _M), 11) * _P1) & _M
        p += 1
    h ^= h >> 33
    h = (h * _P2) & _M
    h ^= h >> 29
    h = (h * _P3) & _M
    h ^= h >> 32
    return h


def xxh64(data):
    """XXH64 (seed 0) of a bytes-like object, as an int."""
    if _xxhash is not None:
        return _xxhash.xxh64_intdigest(data)
    return _xxh64_pure(bytes(data))


def _contiguous(a):
    """C-contiguous, keeping 0-d arrays 0-d (np.ascontiguousarray makes them 1-d)."""
    a = np.asarray(a)
    return a if a.flags.c_contiguous else a.copy(order="C")


def checksum(array):
    """The `checksum` attribute of a tensor dataset: XXH64 of the raw little-endian row-major
    bytes, as "xxh64:<16 lowercase hex digits>" (Sources/CkptFormat/Checksum.swift)."""
    a = _contiguous(array)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return "xxh64:%016x" % xxh64(memoryview(a).cast("B") if a.size else b"")


# ----------------------------------------------------------------------------- writing

_TENSOR_DTYPES = {np.dtype(t) for t in ("float32", "float64", "float16", "int64", "int32", "int16", "int8",
                                          "uint8", "bool")}


class BFloat16Bits(np.ndarray):
    """A bfloat16 tensor as numpy holds it: its uint16 bit patterns (numpy has no bfloat16).
    `read` returns one for a dataset marked `__ckpt_dtype__ = "bfloat16"`; `write` stores one
    (or a torch.bfloat16 tensor, or an ml_dtypes bfloat16 array) so; `load` gives
    torch.bfloat16. `.to_float32()` is the values."""

    @staticmethod
    def of(bits):
        return np.asarray(bits, dtype=np.uint16).view(BFloat16Bits)

    def to_float32(self):
        """The values (exact: a bfloat16 is the upper half of a float32)."""
        return (np.asarray(self, dtype=np.uint32) << 16).view(np.float32)


def _is_torch_tensor(v):
    return type(v).__module__.startswith("torch") and type(v).__name__ in ("Tensor", "Parameter")


def _as_array(v, where):
    """The array to store for tensor `v`, little-endian, and whether it is bfloat16 bits."""
    if _is_torch_tensor(v):
        t = v.detach().cpu().contiguous()
        if str(t.dtype) == "torch.bfloat16":
            import torch
            return BFloat16Bits.of(t.view(torch.int16).numpy().view(np.uint16)), True
        v = t.numpy()
    if isinstance(v, BFloat16Bits):
        return _contiguous(np.asarray(v).astype("<u2", copy=False)).view(BFloat16Bits), True
    a = _contiguous(v)
    if a.dtype.name == "bfloat16" and a.dtype.itemsize == 2:  # ml_dtypes.bfloat16
        return BFloat16Bits.of(a.view(np.uint16)), True
    if a.dtype.newbyteorder("=") not in _TENSOR_DTYPES and a.dtype not in _TENSOR_DTYPES:
        raise TypeError(f"{where}: tensor dtype {a.dtype} is not one of float32, float64, float16, bfloat16, "
                        "int64, int32, int16, int8, uint8, bool")
    return a.astype(a.dtype.newbyteorder("<"), copy=False), False


def _array_attr(items):
    """A 1-D array attribute for homogeneous lists of ints, floats, bools or strings (the Swift
    writer's `arrayAttribute`), else None."""
    if len(items) == 0:
        return np.zeros(0, dtype=np.float64)
    if all(type(x) is int for x in items):
        return np.array(items, dtype=np.int64)
    if all(type(x) is float for x in items):
        return np.array(items, dtype=np.float64)
    if all(type(x) is bool for x in items):
        return np.array(items, dtype=np.bool_)
    if all(type(x) is str for x in items):
        return np.array(items, dtype=h5py.string_dtype("utf-8"))
    return None


def _scalar(v):
    """Python ints, floats and bools (and numpy scalars) as the Swift writer's attribute types."""
    if isinstance(v, (bool, np.bool_)):
        return np.bool_(v)
    if isinstance(v, (int, np.integer)):
        return np.int64(v)
    if isinstance(v, (float, np.floating)):
        return np.float64(v)
    return None


_INT_KEY = re.compile(r"-?(0|[1-9][0-9]*)")


def _is_int(k):
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)) and -2**63 <= k < 2**63


def _int_key(k):
    """`k` as a Python int key: an int (not a bool) or its canonical decimal spelling ("7",
    "-3"; not "07", "+7" or "-0"); None otherwise."""
    if _is_int(k):
        return int(k)
    if isinstance(k, str) and _INT_KEY.fullmatch(k) and k != "-0" and _is_int(int(k)):
        return int(k)
    return None


class _IntKeyed(OrderedDict):
    """Marks a dict as int-keyed even when empty (optimizer `state` before the first step)."""


def _key_kind(d, path):
    """"int" when every key is an int (an empty _IntKeyed too), "str" when every key is a str."""
    keys = list(d)
    if (isinstance(d, _IntKeyed) or keys) and all(_is_int(k) for k in keys):
        return "int"
    if all(isinstance(k, str) for k in keys):
        return "str"
    kinds = sorted({type(k).__name__ for k in keys})
    raise TypeError(f"{path}: format v1 stores dicts whose keys are all str or all int (int64), found keys of types {kinds}")


def _check_key(key, path):
    if not isinstance(key, str) or key in ("", ".") or "/" in key or "\0" in key:
        raise ValueError(f"{path}: key {key!r} is not a valid HDF5 name (empty, '.', '/' or NUL)")
    if key.startswith(RESERVED_PREFIX):
        raise ValueError(f"{path}: keys starting with {RESERVED_PREFIX!r} are reserved")


def _write_group(group, d, depth=0, ranges=None):
    if depth >= MAX_DEPTH:
        raise ValueError(f"{group.name}: nesting deeper than {MAX_DEPTH} levels")
    attrs, links, tuples = [], [], []
    kind = _key_kind(d, group.name)
    keys = [str(int(k)) for k in d] if kind == "int" else list(d.keys())
    for key, v in zip(keys, d.values()):
        path = group.name.rstrip("/") + "/" + key
        _check_key(key, path)
        if _is_torch_tensor(v) or isinstance(v, np.ndarray):
            a, bf16 = _as_array(v, path)
            ds = group.create_dataset(key, data=np.asarray(a), track_order=True)
            ds.attrs["checksum"] = checksum(a)
            if bf16:
                ds.attrs.create(DTYPE_ATTR, "bfloat16", dtype=h5py.string_dtype("utf-8"))
            if ranges is not None and a.nbytes > 0:
                offset = ds.id.get_offset()
                if offset is not None:
                    ranges.append((offset, a.nbytes))
            links.append(key)
        elif v is None:
            group.attrs.create(key, h5py.Empty("<i1"))
            attrs.append(key)
        elif isinstance(v, str):
            group.attrs.create(key, v, dtype=h5py.string_dtype("utf-8"))
            attrs.append(key)
        elif _scalar(v) is not None:
            group.attrs[key] = _scalar(v)
            attrs.append(key)
        elif isinstance(v, (list, tuple)):
            arr = _array_attr(list(v))
            if arr is not None:
                group.attrs[key] = arr
                attrs.append(key)
                if isinstance(v, tuple):
                    tuples.append(key)
            else:
                sub = group.create_group(key, track_order=True)
                sub.attrs.create(KIND, "tuple" if isinstance(v, tuple) else "list", dtype=h5py.string_dtype("utf-8"))
                _write_group(sub, OrderedDict((str(i), x) for i, x in enumerate(v)), depth + 1, ranges)
                links.append(key)
        elif isinstance(v, dict):
            _write_group(group.create_group(key, track_order=True), v, depth + 1, ranges)
            links.append(key)
        else:
            raise TypeError(f"{path}: unsupported value of type {type(v).__name__}")
    if tuples:
        group.attrs[TUPLES] = np.array(tuples, dtype=h5py.string_dtype("utf-8"))
    if attrs + links != keys:
        group.attrs[ORDER] = np.array(keys, dtype=h5py.string_dtype("utf-8"))
    if kind == "int":
        group.attrs.create(KEYS, "int", dtype=h5py.string_dtype("utf-8"))
    if isinstance(d, Counter):
        group.attrs.create(CLASS, "Counter", dtype=h5py.string_dtype("utf-8"))


def _pytorch_key_types(sections, int_keyed=OrderedDict):
    """The places where PyTorch has int keys, retyped when they hold decimal strings (files
    written before format v1 recorded key types, dicts built by hand): optimizer `state` gets
    int keys (as `int_keyed`), and every MultiStepLR's `milestones` (also in `_schedulers`)
    becomes a Counter with int keys. Returns a shallow copy; `sections` is not changed."""
    out = dict(sections)
    opt = out.get("optimizer")
    if isinstance(opt, dict) and isinstance(opt.get("state"), dict):
        state = opt["state"]
        ints = [_int_key(k) for k in state]
        if all(i is not None for i in ints):
            out["optimizer"] = OrderedDict(opt)
            out["optimizer"]["state"] = int_keyed(zip(ints, state.values()))
    if isinstance(out.get("scheduler"), dict):
        out["scheduler"] = _scheduler_key_types(out["scheduler"])
    return out


def _scheduler_key_types(sd):
    sd = OrderedDict(sd)
    m = sd.get("milestones")
    if sd.get("type") == "MultiStepLR" and isinstance(m, dict) and all(_int_key(k) is not None for k in m):
        sd["milestones"] = Counter(OrderedDict((_int_key(k), v) for k, v in m.items()))
    if isinstance(sd.get("_schedulers"), list):
        sd["_schedulers"] = [_scheduler_key_types(c) if isinstance(c, dict) else c for c in sd["_schedulers"]]
    return sd


def _param_names(optimizer_sd):
    names = {}
    for g in optimizer_sd.get("param_groups") or []:
        pn, params = g.get("param_names"), g.get("params")
        if isinstance(pn, (list, tuple)) and isinstance(params, (list, tuple)) and len(pn) == len(params):
            names.update(zip(params, pn))
    return names


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


MANIFEST_MAGIC = b"CKPT-MANIFEST v1\n"


def _count_tensors(v):
    if _is_torch_tensor(v) or isinstance(v, np.ndarray):
        return 1
    if isinstance(v, dict):
        return sum(_count_tensors(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return sum(_count_tensors(x) for x in v)
    return 0


def _user_block_size(tensors):
    """The Swift writer's FileManifest.userBlockSize(forTensorCount:)."""
    need, size = 200 + 42 * tensors, 512
    while size < need:
        size *= 2
    return size


def _metadata_hash(f, user_block, file_size, ranges):
    """XXH64 of the bytes [user_block, file_size) outside the tensor ranges, concatenated."""
    return xxh64(_metadata_bytes(f, user_block, file_size, ranges))


def _metadata_bytes(f, user_block, file_size, ranges):
    """The bytes [user_block, file_size) outside the tensor ranges, concatenated."""
    parts, pos = [], user_block
    for off, n in ranges:
        if off > pos:
            f.seek(pos)
            parts.append(f.read(off - pos))
        pos = max(pos, off + n)
    if file_size > pos:
        f.seek(pos)
        parts.append(f.read(file_size - pos))
    return b"".join(parts)


# ----------------------------------------------------------------------------- the user's key
# The Swift side's ManifestKey: 16 random bytes in $XDG_CONFIG_HOME/ckpt/manifest.key (else
# $HOME/.config/ckpt/manifest.key), mode 0600 in a 0700 directory, created on first use. A save
# signs its manifest with it (metadata_siphash24), so ckpt's readers know this user wrote the
# file and parse it in their own process instead of as a copy rebuilt by an isolated child.

_KEY_SIZE = 16
# Above this much metadata the pure-Python SipHash would slow the save; the file is then left
# unsigned (still checked by its XXH64; ckpt's readers isolate it).
MAX_SIGNED_METADATA = 2 << 20


def _key_path():
    x = os.environ.get("XDG_CONFIG_HOME", "")
    if x.startswith("/"):
        return x + "/ckpt/manifest.key"
    h = os.environ.get("HOME", "")
    if h.startswith("/"):
        return h + "/.config/ckpt/manifest.key"
    return None


def _load_key(path):
    """The key at `path` if it is a private regular file of this user holding exactly 16 bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077 or st.st_size != _KEY_SIZE:
            return None
        key = os.read(fd, _KEY_SIZE)
        return key if len(key) == _KEY_SIZE else None
    finally:
        os.close(fd)


def _make_key(path):
    """Creates the key: a private temporary linked into place, so concurrent first saves (Swift
    or Python) agree on one key. None on any failure."""
    prefix = ""
    for part in os.path.dirname(path).split("/"):
        if part:
            prefix += "/" + part
            try:
                os.mkdir(prefix, 0o700)
            except OSError:
                pass
    key = os.urandom(_KEY_SIZE)
    tmp = f"{path}.tmp-{os.getpid()}-{random.getrandbits(32)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        try:
            ok = os.write(fd, key) == _KEY_SIZE
            os.fsync(fd)
        finally:
            os.close(fd)
        if ok:
            os.link(tmp, path)   # EEXIST: another process won; the caller reads its key
            return key
        return None
    except OSError:
        return None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def manifest_key(create=True):
    """This user's manifest key (created when `create` and missing), or None when there is none
    to use (no HOME, or a key file that is not private to this user)."""
    path = _key_path()
    if path is None:
        return None
    key = _load_key(path)
    if key is not None or not create:
        return key
    return _make_key(path) or _load_key(path)


_M64 = 0xFFFFFFFFFFFFFFFF


def siphash24(key, data):
    """SipHash-2-4 of `data` under the 16-byte `key` (Aumasson and Bernstein), as an int."""
    k0, k1 = struct.unpack("<QQ", key)
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573
    n = len(data)
    end = n - n % 8
    blocks = [m for (m,) in struct.iter_unpack("<Q", memoryview(data)[:end])]
    blocks.append(((n & 0xFF) << 56) | int.from_bytes(bytes(data[end:]), "little"))
    for m in blocks:
        v3 ^= m
        for _ in range(2):
            v0 = (v0 + v1) & _M64; v1 = ((v1 << 13) | (v1 >> 51)) & _M64; v1 ^= v0; v0 = ((v0 << 32) | (v0 >> 32)) & _M64
            v2 = (v2 + v3) & _M64; v3 = ((v3 << 16) | (v3 >> 48)) & _M64; v3 ^= v2
            v0 = (v0 + v3) & _M64; v3 = ((v3 << 21) | (v3 >> 43)) & _M64; v3 ^= v0
            v2 = (v2 + v1) & _M64; v1 = ((v1 << 17) | (v1 >> 47)) & _M64; v1 ^= v2; v2 = ((v2 << 32) | (v2 >> 32)) & _M64
        v0 ^= m
    v2 ^= 0xFF
    for _ in range(4):
        v0 = (v0 + v1) & _M64; v1 = ((v1 << 13) | (v1 >> 51)) & _M64; v1 ^= v0; v0 = ((v0 << 32) | (v0 >> 32)) & _M64
        v2 = (v2 + v3) & _M64; v3 = ((v3 << 16) | (v3 >> 48)) & _M64; v3 ^= v2
        v0 = (v0 + v3) & _M64; v3 = ((v3 << 21) | (v3 >> 43)) & _M64; v3 ^= v0
        v2 = (v2 + v1) & _M64; v1 = ((v1 << 17) | (v1 >> 47)) & _M64; v1 ^= v2; v2 = ((v2 << 32) | (v2 >> 32)) & _M64
    return v0 ^ v1 ^ v2 ^ v3


def _write_manifest(path, user_block, ranges):
    """The manifest in the HDF5 user block (docs/FORMAT.md "Integrity"), as the Swift writer
    puts it there: file size and the XXH64 of every byte outside the user block and the tensor
    data, so a reader can check HDF5's metadata before the library parses it; and, with this
    user's key, the SipHash-2-4 tag of the manifest (without that line) and the same bytes."""
    ranges = sorted(ranges)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        metadata = _metadata_bytes(f, user_block, size, ranges)
        head = MANIFEST_MAGIC.decode() + f"userblock {user_block}\nfile_size {size}\nmetadata_xxh64 {xxh64(metadata):016x}\n"
        tail = f"tensor_ranges {len(ranges)}\n" + "".join(f"{o} {n}\n" for o, n in ranges)
        key = manifest_key(create=True) if len(metadata) <= MAX_SIGNED_METADATA else None
        tag = f"metadata_siphash24 {siphash24(key, (head + tail).encode() + metadata):016x}\n" if key else ""
        block = (head + tag + tail).encode()
        if len(block) > user_block:
            raise ValueError(f"{path}: manifest of {len(block)} bytes exceeds the {user_block}-byte user block")
        f.seek(0)
        f.write(block + b"\0" * (user_block - len(block)))


def _size_mismatch(actual, saved):
    """What a file size other than the manifest's means and what to do (the Swift side's
    ManifestMismatch.sizeReason, with this reader's way to accept an edit)."""
    if actual < saved:
        return (f"truncated: {actual} bytes, the manifest says {saved} ({saved - actual} bytes missing at the end): "
                "an interrupted copy or download, or a disk that filled up; copy the file again from where it came from")
    return (f"{actual} bytes, the manifest says {saved} ({actual - saved} bytes more): the file was edited or rewritten "
            "after it was saved, probably by another program (h5py in \"r+\" or \"a\" mode, h5repack), so its "
            "structure is not the one the manifest covers; use the file as saved if you have it, or, to accept the edit, "
            "read it with verify=False")


def _verify_manifest(path):
    """Checks the manifest when the file has one (files from plain h5py have none)."""
    with open(path, "rb") as f:
        head = f.read(512)
        if not head.startswith(MANIFEST_MAGIC):
            return
        lines = head.split(b"\0", 1)[0].decode("ascii", "replace").split("\n")
        try:
            user_block = int(lines[1].split(" ")[1])
            assert lines[1].startswith("userblock ") and user_block >= 512 and user_block & (user_block - 1) == 0
            f.seek(0)
            lines = f.read(user_block).split(b"\0", 1)[0].decode("ascii").split("\n")
            size = int(lines[2].removeprefix("file_size "))
            expected = int(lines[3].removeprefix("metadata_xxh64 "), 16)
            # ckpt's keyed tag (metadata_siphash24) needs the saver's secret key: skipped here.
            at = 5 if lines[4].startswith("metadata_siphash24 ") else 4
            n = int(lines[at].removeprefix("tensor_ranges "))
            ranges = [tuple(int(x) for x in line.split(" ")) for line in lines[at + 1:at + 1 + n]]
            assert len(ranges) == n and all(len(r) == 2 for r in ranges)
        except (IndexError, ValueError, AssertionError):
            raise CheckpointError(path, "/", "manifest: malformed") from None
        actual_size = os.fstat(f.fileno()).st_size
        if actual_size != size:
            raise CheckpointError(path, "/", _size_mismatch(actual_size, size))
        actual = _metadata_hash(f, user_block, size, ranges)
        if actual != expected:
            raise CheckpointError(path, "/", f"metadata checksum mismatch: manifest says xxh64:{expected:016x}, "
                                             f"the file hashes to xxh64:{actual:016x}")


def write(path, sections, metadata=None, durable=True):
    """Writes format v1 to `path` atomically from `sections` ({"model": {...}, "optimizer": ...};
    values are Python scalars, strings, None, lists, tuples, dicts, numpy arrays or torch
    tensors) and root `metadata` (scalars, strings, None or flat lists). Optimizer and
    scheduler dicts must carry "type" first, as the Swift side writes them."""
    if "model" not in sections or sections["model"] is None:
        raise ValueError(f"{path}: a checkpoint needs a 'model' section")
    sections = _pytorch_key_types(sections, int_keyed=_IntKeyed)
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{name}.partial-{os.getpid()}-{random.getrandbits(32):x}")
    try:
        user_block = _user_block_size(sum(_count_tensors(sections.get(sec)) for sec in SECTIONS))
        ranges = []
        with h5py.File(tmp, "w", libver=("v108", "v110"), track_order=True, userblock_size=user_block) as f:
            f.attrs.create("format", FORMAT_NAME, dtype=h5py.string_dtype("utf-8"))
            f.attrs["format_version"] = np.int64(FORMAT_VERSION)
            meta = dict(metadata or {})
            f.attrs.create("created_by", meta.pop("created_by", "python/ckpt_torch.py"),
                           dtype=h5py.string_dtype("utf-8"))
            f.attrs.create("created_at", meta.pop("created_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
                           dtype=h5py.string_dtype("utf-8"))
            root_tuples = []
            for k, v in meta.items():
                _check_key(k, "/" + k)
                if k in SECTIONS or k in ("format", "format_version"):
                    raise ValueError(f"/{k}: reserved metadata key")
                if v is None:
                    f.attrs.create(k, h5py.Empty("<i1"))
                elif isinstance(v, str):
                    f.attrs.create(k, v, dtype=h5py.string_dtype("utf-8"))
                elif _scalar(v) is not None:
                    f.attrs[k] = _scalar(v)
                elif isinstance(v, (list, tuple)) and _array_attr(list(v)) is not None:
                    f.attrs[k] = _array_attr(list(v))
                    if isinstance(v, tuple):
                        root_tuples.append(k)
                else:
                    raise TypeError(f"/{k}: metadata values must be scalars, strings, None or flat lists")
            if root_tuples:
                f.attrs[TUPLES] = np.array(root_tuples, dtype=h5py.string_dtype("utf-8"))
            for sec in SECTIONS:
                d = sections.get(sec)
                if d is None:
                    continue
                g = f.create_group(sec, track_order=True)
                _write_group(g, d, ranges=ranges)
                if sec == "optimizer" and "state" in g:
                    # Derived metadata for h5dump readers, as the Swift writer adds it.
                    names = _param_names(d)
                    for key, value in d["state"].items():
                        name = str(key)
                        if isinstance(value, dict) and "param_name" not in value and _int_key(key) in names \
                                and isinstance(g["state"].get(name), h5py.Group):
                            g["state"][name].attrs.create("param_name", names[_int_key(key)],
                                                          dtype=h5py.string_dtype("utf-8"))
        _write_manifest(tmp, user_block, ranges)
        if durable:
            _fsync(tmp)
        os.replace(tmp, path)
        tmp = None
        if durable:
            _fsync(directory)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


# ----------------------------------------------------------------------------- reading

def _attr_value(v, is_tuple, file, path):
    if isinstance(v, h5py.Empty):
        return None
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, str):
        return v
    if isinstance(v, np.ndarray):
        if v.ndim != 1:
            raise CheckpointError(file, path, f"attribute of shape {list(v.shape)}: only scalars and 1-D arrays are state values")
        items = [_attr_value(x, False, file, path) for x in v.tolist()]
        return tuple(items) if is_tuple else items
    if isinstance(v, np.generic):
        if v.dtype == np.float16:
            raise CheckpointError(file, path, "float16 attributes are not state values")
        return v.item()
    if isinstance(v, (int, float, bool)):
        return v
    raise CheckpointError(file, path, f"unsupported attribute value {type(v).__name__}")


class _Reader:
    def __init__(self, file, verify):
        self.file, self.verify, self.visited = file, verify, 0

    def group(self, g, depth=0, ignored=()):
        if depth >= MAX_DEPTH:
            raise CheckpointError(self.file, g.name, f"nested deeper than {MAX_DEPTH} levels")
        names = list(g.attrs.keys())
        links = list(g.keys())
        self.visited += len(names) + len(links)
        if self.visited > MAX_OBJECTS:
            raise CheckpointError(self.file, g.name, f"more than {MAX_OBJECTS} objects")
        tuples = set(self._strings(g, TUPLES, names) or [])
        values = OrderedDict()
        for k in names:
            if k.startswith(RESERVED_PREFIX) or k in ignored:
                continue
            values[k] = _attr_value(g.attrs[k], k in tuples, self.file, f"{g.name}/{k}")
        for k in links:
            p = f"{g.name.rstrip('/')}/{k}"
            if k in values:
                raise CheckpointError(self.file, p, "both an attribute and a link")
            obj = g.get(k)
            if isinstance(obj, h5py.Group):
                values[k] = self.group_value(obj, depth + 1)
            elif isinstance(obj, h5py.Dataset):
                values[k] = self.dataset(obj)
            else:
                raise CheckpointError(self.file, p, "unsupported object")
        order = self._strings(g, ORDER, names)
        if order is not None:
            if sorted(order) != sorted(values):
                raise CheckpointError(self.file, g.name, f"{ORDER} lists {order} but the group holds {list(values)}")
            values = OrderedDict((k, values[k]) for k in order)
        return self._key_types(g, names, values)

    def _key_types(self, g, names, values):
        """Applies `__ckpt_keys__` = "int" (names are canonical decimals) and `__ckpt_class__` =
        "Counter"; files without them have str keys and plain dicts."""
        keys = self._string(g, KEYS, names)
        if keys is not None:
            if keys != "int":
                raise CheckpointError(self.file, f"{g.name}/{KEYS}", f"expected 'int', found {keys!r}")
            bad = next((k for k in values if _int_key(k) is None), None)
            if bad is not None:
                raise CheckpointError(self.file, f"{g.name.rstrip('/')}/{bad}",
                                      f"the group's keys are ints ({KEYS} = 'int'), but {bad!r} is not an int in canonical decimal form")
            values = OrderedDict((int(k), v) for k, v in values.items())
        cls = self._string(g, CLASS, names)
        if cls is not None:
            if cls != "Counter":
                raise CheckpointError(self.file, f"{g.name}/{CLASS}", f"expected 'Counter', found {cls!r}")
            values = Counter(values)
        return values

    def _string(self, g, name, names):
        if name not in names:
            return None
        v = _attr_value(g.attrs[name], False, self.file, f"{g.name}/{name}")
        if not isinstance(v, str):
            raise CheckpointError(self.file, f"{g.name}/{name}", "expected a string")
        return v

    def _strings(self, g, name, names):
        if name not in names:
            return None
        v = g.attrs[name]
        if not isinstance(v, np.ndarray) or v.ndim != 1:
            raise CheckpointError(self.file, f"{g.name}/{name}", "expected a 1-D string array")
        return [x.decode() if isinstance(x, bytes) else str(x) for x in v.tolist()]

    def group_value(self, g, depth):
        if KIND not in g.attrs:
            param_ignored = ("param_name",) if g.name.count("/") == 3 and g.name.startswith("/optimizer/state/") else ()
            return self.group(g, depth, param_ignored)
        kind = _attr_value(g.attrs[KIND], False, self.file, g.name)
        if KEYS in g.attrs or CLASS in g.attrs:
            raise CheckpointError(self.file, g.name, f"a list or tuple group cannot carry {KEYS} or {CLASS}")
        elements = self.group(g, depth)
        if list(elements) != [str(i) for i in range(len(elements))]:
            raise CheckpointError(self.file, g.name, f"list elements must be named 0..<{len(elements)}, found {list(elements)}")
        if kind not in ("list", "tuple"):
            raise CheckpointError(self.file, f"{g.name}/{KIND}", f"expected 'list' or 'tuple', found {kind!r}")
        items = list(elements.values())
        return tuple(items) if kind == "tuple" else items

    def dataset(self, ds):
        if h5py.check_string_dtype(ds.dtype) is not None:
            if ds.shape is None:
                return None
            v = ds.asstr()[()]
            return v if ds.ndim == 0 else list(v)
        if ds.shape is None:
            raise CheckpointError(self.file, ds.name, "dataset has a null dataspace")
        a = np.asarray(ds[()])
        marked = _attr_value(ds.attrs[DTYPE_ATTR], False, self.file, ds.name + "/" + DTYPE_ATTR) \
            if DTYPE_ATTR in ds.attrs else None
        if marked is not None:
            if marked != "bfloat16" or a.dtype.kind != "u" or a.dtype.itemsize != 2:
                raise CheckpointError(self.file, ds.name, f"unsupported tensor dtype {a.dtype} marked {DTYPE_ATTR} = {marked!r}")
        elif a.dtype.newbyteorder("=") not in _TENSOR_DTYPES and a.dtype not in _TENSOR_DTYPES:
            raise CheckpointError(self.file, ds.name, f"unsupported tensor dtype {a.dtype}")
        a = _contiguous(a.astype(a.dtype.newbyteorder("="), copy=False))
        if marked is not None:
            a = a.view(BFloat16Bits)
        if self.verify:
            if "checksum" not in ds.attrs:
                raise CheckpointError(self.file, ds.name, "tensor has no checksum attribute")
            expected = _attr_value(ds.attrs["checksum"], False, self.file, ds.name + "/checksum")
            if not isinstance(expected, str) or not expected.startswith("xxh64:"):
                raise CheckpointError(self.file, ds.name + "/checksum", "expected 'xxh64:<hex>'")
            actual = checksum(a)
            if actual != expected.lower():
                raise CheckpointError(self.file, ds.name, f"checksum mismatch: file says {expected}, data hashes to {actual}")
        return a


def read(path, verify=True):
    """The checkpoint at `path` as Python values: {"metadata": {...}, "model": {...}, and the
    sections present}. Tensors are numpy arrays; dicts keep their key types (int keys, Counter:
    the optimizer's state and MultiStepLR's milestones also in files from before the tags); the
    manifest (when present) and every tensor's checksum are verified unless `verify=False`.
    Raises CheckpointError for files that are not format v1 or fail a check."""
    if verify:
        _verify_manifest(path)
    with h5py.File(path, "r") as f:
        names = list(f.attrs.keys())
        if "format" not in names:
            raise CheckpointError(path, "/", "root attribute 'format' is missing: not a ckpt checkpoint")
        fmt = _attr_value(f.attrs["format"], False, path, "/format")
        if fmt != FORMAT_NAME:
            raise CheckpointError(path, "/format", f"is {fmt!r}, expected {FORMAT_NAME!r}")
        version = _attr_value(f.attrs["format_version"], False, path, "/format_version") \
            if "format_version" in names else None
        if type(version) is not int or version != FORMAT_VERSION:
            raise CheckpointError(path, "/format_version", f"found {version!r}, this reader supports {FORMAT_VERSION}")
        reader = _Reader(path, verify)
        tuples = set(reader._strings(f, TUPLES, names) or [])
        out = {"metadata": OrderedDict((k, _attr_value(f.attrs[k], k in tuples, path, "/" + k))
                                       for k in names if not k.startswith(RESERVED_PREFIX))}
        if "model" not in f:
            raise CheckpointError(path, "/model", "missing")
        for sec in SECTIONS:
            if sec in f:
                if not isinstance(f[sec], h5py.Group):
                    raise CheckpointError(path, "/" + sec, "expected a group")
                out[sec] = reader.group(f[sec], 0)
        return _pytorch_key_types(out)


# ----------------------------------------------------------------------------- PyTorch

def _torch():
    try:
        import torch
    except ImportError as e:  # pragma: no cover - exercised where torch is absent
        raise ImportError("ckpt_torch.load/save need PyTorch (pip install torch); "
                          "read/write work with h5py and numpy alone") from e
    return torch


def _to_torch(v, torch):
    if isinstance(v, BFloat16Bits):
        return torch.from_numpy(np.array(v, dtype=np.uint16).view(np.int16)).view(torch.bfloat16)
    if isinstance(v, np.ndarray):
        return torch.from_numpy(np.array(v, copy=True))
    if isinstance(v, Counter):
        return Counter(OrderedDict((k, _to_torch(x, torch)) for k, x in v.items()))
    if isinstance(v, dict):
        return OrderedDict((k, _to_torch(x, torch)) for k, x in v.items())
    if isinstance(v, list):
        return [_to_torch(x, torch) for x in v]
    if isinstance(v, tuple):
        return tuple(_to_torch(x, torch) for x in v)
    return v


def _without_type(d):
    return OrderedDict((k, v) for k, v in d.items() if k != "type")


# Keys ckpt adds to a scheduler's state dict that PyTorch's object has no attribute for:
# "type", and LambdaLR / MultiplicativeLR's "lr_lambda_expr" (the lambda's source, which
# PyTorch cannot save: its "lr_lambdas" holds None for a function).
_CKPT_SCHEDULER_KEYS = ("type", "lr_lambda_expr")


def _scheduler_to_torch(sd, torch):
    out = OrderedDict((k, v) for k, v in _to_torch(sd, torch).items() if k not in _CKPT_SCHEDULER_KEYS)
    if isinstance(out.get("_schedulers"), list):  # SequentialLR / ChainedScheduler children
        out["_schedulers"] = [_scheduler_to_torch(c, torch) if isinstance(c, dict) else c for c in out["_schedulers"]]
    return out


def _optimizer_to_torch(sd, torch, file):
    out = _without_type(sd)
    state = {}
    for key, s in (sd.get("state") or {}).items():
        i = _int_key(key)
        if i is None:
            raise CheckpointError(file, f"/optimizer/state/{key}", "state keys must be parameter indices")
        entry = OrderedDict()
        for name, v in s.items():
            # SparseAdam keeps its step a Python int; the others a 0-d float32 tensor.
            if name == "step" and not isinstance(v, np.ndarray) and sd.get("type") != "SparseAdam":
                entry[name] = torch.tensor(float(v), dtype=torch.float32)  # PyTorch's 0-d float32 step
            else:
                entry[name] = _to_torch(v, torch)
        state[i] = entry
    out["state"] = state
    out["param_groups"] = [dict(_to_torch(g, torch)) for g in sd.get("param_groups") or []]
    return dict(out)


def load(path, verify=True, map_location=None):
    """The checkpoint at `path` as PyTorch state dicts:
    {"model": OrderedDict name -> tensor, "optimizer": dict, "scheduler": dict | None,
     "progress": dict | None, "config": dict | None, "rng": dict | None, "metadata": dict,
     "averaged_model": OrderedDict | None, "swa_scheduler": dict | None, "optimizers": list}.
    Feed them in PyTorch's documented resume order: build the optimizer, build the scheduler,
    `optimizer.load_state_dict`, `scheduler.load_state_dict`. `averaged_model` is
    `AveragedModel.state_dict()` (`n_averaged` as a 0-d int64 tensor, then `module.<name>`):
    `swa_model.load_state_dict(ck["averaged_model"])`. `optimizers` holds a run's second and
    later optimizers in order, each {"optimizer": dict, "scheduler": dict | None}."""
    torch = _torch()
    raw = read(path, verify=verify)
    model = OrderedDict((k, _to_torch(v, torch)) for k, v in raw["model"].items())
    if map_location is not None:
        model = OrderedDict((k, v.to(map_location)) for k, v in model.items())
    config = raw["metadata"].get("config")
    if isinstance(config, str):
        config = json.loads(config, object_pairs_hook=OrderedDict)
    return {
        "model": model,
        "optimizer": _optimizer_to_torch(raw["optimizer"], torch, path) if "optimizer" in raw else None,
        "scheduler": _scheduler_to_torch(raw["scheduler"], torch) if "scheduler" in raw else None,
        "progress": _to_torch(raw["progress"], torch) if "progress" in raw else None,
        "config": config,
        "rng": _to_torch(raw["rng"], torch) if "rng" in raw else None,
        "metadata": raw["metadata"],
        "averaged_model": OrderedDict((k, _to_torch(v, torch)) for k, v in raw["averaged_model"].items())
        if "averaged_model" in raw else None,
        "swa_scheduler": _scheduler_to_torch(raw["swa_scheduler"], torch) if "swa_scheduler" in raw else None,
        "optimizers": [{"optimizer": _optimizer_to_torch(e["optimizer"], torch, path),
                        "scheduler": _scheduler_to_torch(e["scheduler"], torch) if "scheduler" in e else None}
                       for e in raw.get("optimizers", {}).values()],
    }


def _typed_scheduler_state(scheduler):
    sd = scheduler.state_dict()
    out = OrderedDict([("type", type(scheduler).__name__)])
    out.update(sd)
    children = getattr(scheduler, "_schedulers", None)
    if isinstance(sd.get("_schedulers"), list) and children is not None:
        out["_schedulers"] = [
            OrderedDict([("type", type(c).__name__)] + [(k, v) for k, v in s.items() if k != "type"])
            if isinstance(s, dict) else s
            for c, s in zip(children, sd["_schedulers"])]
        for c, s in zip(children, out["_schedulers"]):  # nested Sequential/Chained children
            if getattr(c, "_schedulers", None) is not None:
                s.update(_typed_scheduler_state(c))
    return out


def _typed_optimizer_state(optimizer, model=None):
    """optimizer.state_dict() with "type" first (state keys stay ints). Groups built without
    names get `param_names` from the model (format v1 records them; PyTorch's load_state_dict
    accepts and keeps them), placed before `params` as the Swift side places them."""
    sd = optimizer.state_dict()
    state = _IntKeyed((k, OrderedDict(v)) for k, v in sd["state"].items())
    names = {id(p): n for n, p in model.named_parameters()} if hasattr(model, "named_parameters") else {}
    groups = []
    for packed, live in zip(sd["param_groups"], optimizer.param_groups):
        g = OrderedDict(packed)
        if "param_names" not in g and names and all(id(p) in names for p in live["params"]):
            params = g.pop("params")
            g["param_names"] = [names[id(p)] for p in live["params"]]
            g["params"] = params
        groups.append(g)
    return OrderedDict([("type", type(optimizer).__name__), ("state", state), ("param_groups", groups)])



def mlp(sizes):
    """ckpt's "mlp" model (run config `"model": {"type": "mlp", "sizes": sizes}`) as a PyTorch
    module with the same parameter names (net.1.weight, net.1.bias, net.3.weight, ...), so its
    state dict loads into ckpt's and back."""
    import torch
    layers = [torch.nn.Flatten()]
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        if i:
            layers.append(torch.nn.ReLU())
        layers.append(torch.nn.Linear(a, b))
    return torch.nn.Sequential(OrderedDict([("net", torch.nn.Sequential(*layers))]))


def save(path, model, optimizer=None, scheduler=None, progress=None, config=None, rng=None, durable=True,
         averaged_model=None, swa_scheduler=None, optimizers=()):
    """Writes a PyTorch run as format v1 to `path`, atomically: `model` (an nn.Module or a state
    dict), `optimizer` / `scheduler` (objects or their state dicts with "type" first), `progress`
    ({"epoch", "global_step", optionally "batch", "lr" float64 [global_step, groups],
    "loss" float32 [global_step]}) and `config` (the run config, a dict or JSON text: with it,
    `ckpt resume` can continue the run). `averaged_model`: a torch.optim.swa_utils.AveragedModel
    (or its state dict), written to /averaged_model; `swa_scheduler`: its SWALR, to
    /swa_scheduler; `optimizers`: a run's second and later optimizers in order, each a pair
    (optimizer, scheduler or None), to /optimizers/1, /optimizers/2, ... (docs/FORMAT.md)."""
    torch = _torch()
    model_sd = model.state_dict() if hasattr(model, "state_dict") else model
    sections = {"model": OrderedDict((k, v) for k, v in model_sd.items())}
    typed_opt = lambda o: _typed_optimizer_state(o, model) if hasattr(o, "param_groups") else o
    typed_sched = lambda s: _typed_scheduler_state(s) if hasattr(s, "state_dict") else s
    if optimizer is not None:
        sections["optimizer"] = typed_opt(optimizer)
    if scheduler is not None:
        sections["scheduler"] = typed_sched(scheduler)
    if averaged_model is not None:
        sd = averaged_model.state_dict() if hasattr(averaged_model, "state_dict") else averaged_model
        sections["averaged_model"] = OrderedDict((k, v) for k, v in sd.items())
    if swa_scheduler is not None:
        sections["swa_scheduler"] = typed_sched(swa_scheduler)
    if optimizers:
        sections["optimizers"] = OrderedDict(
            (str(i), OrderedDict([("optimizer", typed_opt(o))] + ([("scheduler", typed_sched(s))] if s is not None else [])))
            for i, (o, s) in enumerate(optimizers, start=1))
    if progress is not None:
        p = OrderedDict()
        for k, v in progress.items():
            if k == "lr":
                v = np.asarray(v.numpy() if isinstance(v, torch.Tensor) else v, dtype=np.float64)
                v = v.reshape(len(v), -1) if v.ndim != 2 else v
            elif k == "loss":
                v = np.asarray(v.numpy() if isinstance(v, torch.Tensor) else v, dtype=np.float32).reshape(-1)
            p[k] = v
        sections["progress"] = p
    if rng is not None:
        sections["rng"] = rng
    metadata = OrderedDict([("created_by", f"python/ckpt_torch.py (torch {torch.__version__})")])
    if config is not None:
        metadata["config"] = config if isinstance(config, str) else json.dumps(config)
    write(path, sections, metadata, durable=durable)
