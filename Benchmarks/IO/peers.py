#!/usr/bin/env python3
"""The Python contenders of the IO benchmark: ONE operation per process, as a user runs it.

    peers.py --op save|load|start --format F --path P --tensors N --elements E
             [--source RAW] [--sync]

save: reads the state (N float32 tensors of E elements, names "layer{i}.weight") from the raw
file RAW (untimed), then times only the save call, with --sync followed by fsync of the file
(none of these peers fsyncs by itself; the directory is not fsynced). load: times reading the
whole state into memory. start: imports what the format needs and exits (the driver times the
whole process: process start + imports). Prints `seconds <s>`, or `missing <reason>` when the
package is not installed (exit status 0 either way, so a missing peer never fails the run).

Formats, each at its fastest documented setting:
  py-raw        plain write()/readinto() of the bytes, one buffer per tensor
  numpy         np.savez (uncompressed .npz) / np.load, every array read
  h5py          contiguous datasets (h5py's default layout) / dataset[()]
  safetensors   safetensors.numpy.save_file / load_file (backend "mmap", arrays copied out)
  torch         torch.save / torch.load (tensors read into memory)
  torch-mmap    torch.load(mmap=True): lazy, the bytes are read only when a tensor is used
  ckpt_torch    python/ckpt_torch.save of the state dict (checksums, manifest; --sync: durable)
  h5py+xxhash   what ckpt_torch does at least: h5py datasets plus an XXH64 attribute each
"""
import argparse
import os
import sys
import time


def missing(why):
    print(f"missing {why}")
    sys.exit(0)


def need(module):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        missing(f"{module.split('.')[0]} is not installed")


def prime(n):
    """Touches and frees `n` bytes of anonymous memory in huge pages, untimed, right before the
    timed operation (the driver's --prime: see driver.py)."""
    if n <= 0:
        return
    import mmap
    m = mmap.mmap(-1, n, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(m, "madvise") and hasattr(mmap, "MADV_HUGEPAGE"):
        m.madvise(mmap.MADV_HUGEPAGE)
    for i in range(0, n, 4096):
        m[i] = 1
    m.close()


def fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_source(np, path, n, e):
    """The state from the driver's raw file: one array per tensor, in order."""
    with open(path, "rb", buffering=0) as f:
        out = {}
        for i in range(n):
            a = np.empty(e, dtype=np.float32)
            f.readinto(memoryview(a).cast("B"))
            out[f"layer{i}.weight"] = a
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--op", required=True, choices=["save", "load", "start"])
    ap.add_argument("--format", required=True)
    ap.add_argument("--path", default="")
    ap.add_argument("--source", default="")
    ap.add_argument("--tensors", type=int, default=0)
    ap.add_argument("--elements", type=int, default=0)
    ap.add_argument("--sync", action="store_true")
    ap.add_argument("--prime", type=int, default=0, help="bytes to touch and free before the timed operation")
    a = ap.parse_args()
    fmt = a.format
    np = need("numpy")
    if fmt in ("h5py", "h5py+xxhash"):
        h5py = need("h5py")
    if fmt in ("h5py+xxhash", "ckpt_torch"):
        xxhash = need("xxhash")
    if fmt in ("torch", "torch-mmap", "ckpt_torch"):
        torch = need("torch")
    if fmt == "safetensors":
        st = need("safetensors.numpy")
    if fmt == "ckpt_torch":
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
        ckpt_torch = need("ckpt_torch")
        if ckpt_torch._xxhash is None:
            missing("xxhash is not installed (ckpt_torch would hash in pure Python)")
    if a.op == "start":
        print("seconds 0")
        return

    path, sync = a.path, a.sync
    if a.op == "save":
        state = read_source(np, a.source, a.tensors, a.elements)
        if fmt in ("torch", "ckpt_torch"):
            state = {k: torch.from_numpy(v) for k, v in state.items()}
        if fmt == "py-raw":
            def op():
                with open(path, "wb", buffering=0) as f:
                    for v in state.values():
                        f.write(memoryview(v).cast("B"))
                    if sync:
                        os.fsync(f.fileno())
        elif fmt == "numpy":
            def op():
                np.savez(path, **state)
                if sync:
                    fsync_path(path)
        elif fmt in ("h5py", "h5py+xxhash"):
            def op():
                with h5py.File(path, "w") as f:
                    g = f.create_group("model")
                    for k, v in state.items():
                        d = g.create_dataset(k, data=v)
                        if fmt == "h5py+xxhash":
                            d.attrs["checksum"] = "xxh64:" + xxhash.xxh64(memoryview(v).cast("B")).hexdigest()
                if sync:
                    fsync_path(path)
        elif fmt == "safetensors":
            def op():
                st.save_file(state, path)
                if sync:
                    fsync_path(path)
        elif fmt == "torch":
            def op():
                torch.save(state, path)
                if sync:
                    fsync_path(path)
        elif fmt == "ckpt_torch":
            def op():
                ckpt_torch.save(path, state, durable=sync)
        else:
            missing(f"no save for {fmt}")
    else:
        n, e = a.tensors, a.elements
        if fmt == "py-raw":
            def op():
                out = []
                with open(path, "rb", buffering=0) as f:
                    for _ in range(n):
                        arr = np.empty(e, dtype=np.float32)
                        f.readinto(memoryview(arr).cast("B"))
                        out.append(arr)
                return out
        elif fmt == "numpy":
            def op():
                with np.load(path) as z:
                    return {k: z[k] for k in z.files}
        elif fmt == "h5py":
            def op():
                with h5py.File(path, "r") as f:
                    g = f["model"]
                    return {k: g[k][()] for k in g}
        elif fmt == "safetensors":
            def op():
                return st.load_file(path)
        elif fmt == "torch":
            def op():
                return torch.load(path)
        elif fmt == "torch-mmap":
            def op():
                return torch.load(path, mmap=True)
        else:
            missing(f"no load for {fmt}")
    prime(a.prime)
    t0 = time.perf_counter()
    result = op()
    t = time.perf_counter() - t0
    if a.op == "load" and len(result) != a.tensors:
        print(f"error: {fmt} loaded {len(result)} tensors, expected {a.tensors}", file=sys.stderr)
        sys.exit(1)
    print(f"seconds {t!r}")


if __name__ == "__main__":
    main()
