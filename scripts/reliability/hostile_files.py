#!/usr/bin/env python3
"""Trial "hostile files": `ckpt verify` and `ckpt inspect` on damaged and crafted files.

Damaged copies of a real checkpoint: truncated at every 4 KiB boundary, 4 KiB regions zeroed,
random bytes behind an HDF5 signature. Crafted files (h5py; ckpt root attributes kept so the
reader goes past the format check): shapes whose element count or byte size overflows, huge
unallocated chunked datasets, deeply nested groups, a group that contains itself (hard-link
cycle), soft/external links, tens of thousands of attributes, a 16 MiB attribute, names with
"/", "..", control characters, non-numeric dtypes in the model.

Every run must end within TIMEOUT seconds with a message, without a signal, under an RSS bound
(RSS_MB plus twice the file size). `verify` must exit 1 or 2 on every damaged file; on crafted
files that happen to be well-formed HDF5, exit 0 from `inspect` is fine (it shows any HDF5 file).

Usage: hostile_files.py [--ckpt BIN] [--timeout S] [--rss-mb MB] [-v]
"""
import argparse, os, random, shutil, subprocess, sys, tempfile

import h5py
import numpy as np
from h5py import h5d, h5p, h5s, h5t

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY = """{"model": {"type": "mlp", "sizes": [3072, 8, 10]},
 "data": {"dataset": "synthetic", "train_size": 32, "test_size": 8, "batch_size": 8},
 "optimizer": {"type": "Adam", "lr": 0.001}, "epochs": 1, "seed": 5}"""


# Crafted files that are sound checkpoints with odd contents: verify may accept them.
LEGAL = {"attribute-16MiB-string", "attribute-config-not-json", "attributes-30000-on-root"}


def crafted(base, path, mutate, libver=("earliest", "latest")):
    """Copies `base` into a new file with `libver` bounds, then applies `mutate(file)`."""
    with h5py.File(base, "r") as src, h5py.File(path, "w", libver=libver) as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        for k in src:
            src.copy(src[k], dst, k)
        mutate(dst)


def patch(path, old, new):
    """Replaces bytes in a file (same length): names HDF5's API refuses to create."""
    b = open(path, "rb").read()
    assert len(old) == len(new) and old in b, (path, old)
    open(path, "wb").write(b.replace(old, new))


def big_chunked(g, name, dims, dtype=h5t.NATIVE_FLOAT):
    sid = h5s.create_simple(dims)
    dcpl = h5p.create(h5p.DATASET_CREATE)
    dcpl.set_chunk(tuple(1 for _ in dims))
    h5d.create(g.id, name.encode(), dtype, sid, dcpl=dcpl)


def make_cases(base, work, rng):
    blob = open(base, "rb").read()
    cases = []  # (name, path, damaged)

    def raw(name, data, damaged=True):
        p = os.path.join(work, name + ".h5")
        open(p, "wb").write(data)
        cases.append((name, p, damaged))

    for cut in range(0, len(blob), 4096):
        raw(f"truncated-at-{cut}", blob[:cut])
    raw("truncated-last-byte", blob[:-1])
    starts = sorted(set([0, 4096] + [rng.randrange(0, len(blob) // 4096) * 4096 for _ in range(14)]))
    for s in starts:
        b = bytearray(blob)
        b[s:s + 4096] = bytes(min(4096, len(blob) - s))
        raw(f"zeroed-4k-at-{s}", bytes(b))
    sig = b"\x89HDF\r\n\x1a\n"
    for i, n in enumerate([8, 64, 512, 4096, 65536, 1 << 20]):
        raw(f"signature-then-random-{n}", sig + rng.randbytes(n))
    for i in range(6):  # the real superblock, random everything after it
        raw(f"superblock-then-random-{i}", blob[:48] + rng.randbytes(rng.choice([4096, 65536, len(blob)])))
    for i in range(4):  # real file with a random 512-byte window overwritten
        b = bytearray(blob)
        s = rng.randrange(0, 8192)
        b[s:s + 512] = rng.randbytes(512)
        raw(f"random-window-{i}-at-{s}", bytes(b))

    def add(name, mutate, libver=("earliest", "latest"), post=None):
        p = os.path.join(work, name + ".h5")
        crafted(base, p, mutate, libver)
        if post:
            post(p)
        cases.append((name, p, False))

    add("shape-2^40-by-2^40-chunked", lambda f: big_chunked(f["model"], "huge", (2**40, 2**40)))
    add("shape-elements-overflow-2^64", lambda f: big_chunked(f["model"], "huge", (2**32, 2**32, 2)))
    add("shape-bytes-overflow", lambda f: big_chunked(f["model"], "huge", (2**62, 8)))
    add("optimizer-state-huge", lambda f: big_chunked(f["optimizer/state/0"], "exp_avg_huge", (2**50,)))

    def overflow_contiguous(f):
        f["model"].create_dataset("zzbig", data=np.zeros(1000, np.float32))
    add("contiguous-dims-patched", overflow_contiguous, libver=("earliest", "v110"),
        post=lambda p: patch_dims(p, 1000, 2**62))

    def nested(depth):
        def m(f):
            g = f["model"]
            g.create_group("/".join(["n"] * depth))
        return m
    add("nested-groups-200", nested(200))
    add("nested-groups-3000", nested(3000))
    add("group-contains-itself", lambda f: f["model"].__setitem__("loop", f["model"]))
    add("root-inside-model", lambda f: f["model"].__setitem__("root", f["/"]))
    add("soft-link-loop", lambda f: f["model"].__setitem__("s", h5py.SoftLink("/model/s")))
    add("soft-link-dangling", lambda f: f["model"].__setitem__("s", h5py.SoftLink("/nowhere")))
    add("external-link-etc-passwd", lambda f: f["model"].__setitem__("e", h5py.ExternalLink("/etc/passwd", "/x")))
    add("external-link-self", lambda f: f["model"].__setitem__("e", h5py.ExternalLink(f.filename, "/model")))

    def attrs(where, n):
        def m(f):
            a = f[where].attrs
            for i in range(n):
                a[f"a{i}"] = i
        return m
    add("attributes-30000-on-model", attrs("model", 30000))
    add("attributes-30000-on-root", attrs("/", 30000))
    add("attribute-16MiB-string", lambda f: f["/"].attrs.__setitem__("note", "x" * (16 << 20)))
    add("attribute-config-not-json", lambda f: f["/"].attrs.__setitem__("config", "{" * 100000))
    add("name-dotdot", lambda f: f["model"].create_dataset("..", data=np.zeros(4, np.float32)))
    add("name-control-chars", lambda f: f["model"].create_dataset("w\x01\x1b[2J\x7f\n", data=np.zeros(4, np.float32)))
    add("name-slash-patched", lambda f: f["model"].create_dataset("aQZb", data=np.zeros(4, np.float32)),
        libver=("earliest", "v110"), post=lambda p: patch(p, b"aQZb", b"a/.b"))
    add("name-dot-patched", lambda f: f["model"].create_dataset("Q", data=np.zeros(4, np.float32)),
        libver=("earliest", "v110"), post=lambda p: patch(p, b"Q\x00", b".\x00"))
    add("name-empty-patched", lambda f: f["model"].create_dataset("Q", data=np.zeros(4, np.float32)),
        libver=("earliest", "v110"), post=lambda p: patch(p, b"Q\x00", b"\x00\x00"))
    add("dtype-compound", lambda f: f["model"].create_dataset("c", data=np.zeros(3, "i4,f8")))
    add("dtype-vlen-string", lambda f: f["model"].create_dataset("s", data=["a", "bb"], dtype=h5py.string_dtype()))
    add("dtype-float16-and-complex", lambda f: (f["model"].create_dataset("h", data=np.zeros(3, np.float16)),
                                                f["model"].create_dataset("z", data=np.zeros(3, np.complex64))))
    add("dtype-reference", lambda f: f["model"].create_dataset("r", data=[f["model"].ref], dtype=h5py.ref_dtype))
    add("format-version-huge", lambda f: f.attrs.__setitem__("format_version", np.int64(2**62)))
    add("format-version-string", lambda f: f.attrs.__setitem__("format_version", "1"))
    add("model-is-dataset", lambda f: (f.__delitem__("model"), f.create_dataset("model", data=np.zeros(3))))
    add("checksum-wrong-type", lambda f: f["model/net.1.bias"].attrs.__setitem__("checksum", np.arange(3)))
    add("many-empty-datasets-5000", lambda f: [f["model"].create_dataset(f"e{i}", shape=(0,), dtype="f4") for i in range(5000)])
    return cases


def patch_dims(path, old, new):
    """Rewrites a dataspace dimension (little-endian u64) in place: dims that disagree with
    the dataset's allocated storage."""
    b = bytearray(open(path, "rb").read())
    o = (old).to_bytes(8, "little")
    i = b.find(o)
    assert i >= 0
    b[i:i + 8] = new.to_bytes(8, "little")
    open(path, "wb").write(bytes(b))


def run(cmd, timeout):
    """Runs cmd under /usr/bin/time in its own session; returns (exit, output, max RSS KiB,
    CPU seconds). On timeout the whole process group is killed."""
    tf = tempfile.NamedTemporaryFile(delete=False)
    tf.close()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", tf.name] + cmd,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        rc, out = p.returncode, out.decode(errors="replace")
        t = open(tf.name).read()
        if "Command terminated by signal" in t:
            rc = -int(t.split("signal")[1].split()[0])
        fields = t.split("\n")[-2].split() if t.count("\n") >= 1 else []
        rss_kb = int(fields[0]) if fields else 0
        cpu = float(fields[1]) + float(fields[2]) if len(fields) == 3 else 0.0
        return rc, out, rss_kb, cpu
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.communicate()
        return "timeout", "", 0, float(timeout)
    finally:
        os.unlink(tf.name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.environ.get("CKPT", os.path.join(ROOT, ".build/release/ckpt")))
    ap.add_argument("--timeout", type=float, default=120, help="wall-clock seconds (the machine may be loaded)")
    ap.add_argument("--cpu", type=float, default=5, help="CPU seconds allowed per run")
    ap.add_argument("--rss-mb", type=int, default=200)
    ap.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(2), "little"))
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="ckpt-hostile.")
    try:
        cfg = os.path.join(work, "cfg.json")
        open(cfg, "w").write(TINY)
        p = subprocess.run([a.ckpt, "train", "--config", cfg, "--out", os.path.join(work, "run")], capture_output=True)
        if p.returncode != 0:
            print(p.stderr.decode(), file=sys.stderr); return 2
        base = os.path.join(work, "run", "epoch-1.h5")
        cases = make_cases(base, work, rng)
        runs = fails = 0
        max_rss = 0
        max_cpu = 0.0
        codes = {}
        for name, path, damaged in cases:
            size = os.path.getsize(path)
            for cmd in ("verify", "inspect"):
                runs += 1
                rc, out, rss, cpu = run([a.ckpt, cmd, path], a.timeout)
                max_rss = max(max_rss, rss)
                max_cpu = max(max_cpu, cpu)
                codes[(cmd, rc)] = codes.get((cmd, rc), 0) + 1
                problems = []
                if rc == "timeout":
                    problems.append(f"no exit within {a.timeout:g} s")
                elif rc < 0 or rc > 2:
                    problems.append(f"exit {rc} (crash)")
                elif rc == 0 and cmd == "verify" and name not in LEGAL:
                    drc = subprocess.run([a.ckpt, "diff", path, base], capture_output=True).returncode
                    if not damaged or drc != 0:
                        problems.append("verify exit 0 on a file that is not the checkpoint it was made from")
                if rc != 0 and not out.strip():
                    problems.append("no message")
                if rss > (a.rss_mb << 10) + 2 * size // 1024:
                    problems.append(f"max RSS {rss // 1024} MiB for a {size // 1024} KiB file")
                if rc != "timeout" and cpu > a.cpu:
                    problems.append(f"{cpu:.1f} s of CPU")
                if problems:
                    fails += 1
                    print(f"FAIL {cmd} {name}: {'; '.join(problems)}: {out.strip()[:300]}", file=sys.stderr)
                elif a.v:
                    print(f"ok   {cmd} {name}: exit {rc}, {rss // 1024} MiB, {cpu:.2f} s: {out.strip().splitlines()[-1][:150] if out.strip() else ''}")
        hist = ", ".join(f"{c} exit {r}: {n}" for (c, r), n in sorted(codes.items(), key=str))
        print(f"hostile files (seed {a.seed}): {len(cases)} files, {runs} runs of verify and inspect; "
              f"{fails} crashed, hung, said nothing or overallocated; max RSS {max_rss // 1024} MiB, max CPU {max_cpu:.1f} s; "
              f"({hist}) -> {'PASS' if fails == 0 else 'FAIL'}")
        return 0 if fails == 0 else 1
    finally:
        if os.environ.get("KEEP") == "1":
            print("kept", work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
