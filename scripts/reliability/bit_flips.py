#!/usr/bin/env python3
"""Trial "bit flips": flip every bit of a sample of byte positions across a small checkpoint,
both in tensor data (dataset storage, located with h5py) and everywhere else (superblock,
object headers, heaps, B-trees, attributes, free space), and run `ckpt verify` on each copy.

A flip counts as detected when verify exits non-zero with a message. An undetected flip is
compared with the original by `ckpt diff`: identical content means the flip hit bytes nothing
reads (harmless); different content is silent corruption. Passes when nothing crashed or hung
and every flip in tensor data was detected (the XXH64 checksums).

Usage: bit_flips.py [--ckpt BIN] [--data-positions N] [--meta-positions N] [--seed S]
"""
import argparse, os, random, shutil, subprocess, sys, tempfile

import h5py

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY = """{"model": {"type": "mlp", "sizes": [3072, 8, 10]},
 "data": {"dataset": "synthetic", "train_size": 32, "test_size": 8, "batch_size": 8},
 "optimizer": {"type": "Adam", "lr": 0.001},
 "scheduler": {"type": "StepLR", "step_size": 2, "gamma": 0.5},
 "epochs": 2, "seed": 3, "checkpoint": {"every_epochs": 1}}"""


def run(cmd, timeout=60):
    """(exit status or "timeout", output); a timeout kills the whole process group."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.communicate()
        return "timeout", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.environ.get("CKPT", os.path.join(ROOT, ".build/release/ckpt")))
    ap.add_argument("--data-positions", type=int, default=100)
    ap.add_argument("--meta-positions", type=int, default=150)
    ap.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(2), "little"))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="ckpt-flips.", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        cfg = os.path.join(work, "cfg.json")
        open(cfg, "w").write(TINY)
        rc, out = run([a.ckpt, "train", "--config", cfg, "--out", os.path.join(work, "run")], timeout=120)
        if rc != 0:
            print(out, file=sys.stderr); return 2
        orig = os.path.join(work, "run", "epoch-2.h5")
        blob = open(orig, "rb").read()
        data = []  # (offset, size, name) of every dataset's storage
        with h5py.File(orig, "r") as f:
            def visit(name, obj):
                if isinstance(obj, h5py.Dataset) and obj.id.get_offset() is not None:
                    data.append((obj.id.get_offset(), obj.id.get_storage_size(), name))
            f.visititems(visit)
        in_data = bytearray(len(blob))
        for off, size, _ in data:
            in_data[off:off + size] = b"\1" * size
        data_pos = [i for i in range(len(blob)) if in_data[i]]
        meta_pos = [i for i in range(len(blob)) if not in_data[i]]
        sample = [("data", p) for p in rng.sample(data_pos, min(a.data_positions, len(data_pos)))]
        sample += [("meta", p) for p in rng.sample(meta_pos, min(a.meta_positions, len(meta_pos)))]
        stats = {k: dict(tried=0, detected=0, harmless=0, silent=0, crashed=0) for k in ("data", "meta")}
        flipped = os.path.join(work, "flipped.h5")
        for kind, pos in sample:
            for bit in range(8):
                b = bytearray(blob)
                b[pos] ^= 1 << bit
                open(flipped, "wb").write(b)
                s = stats[kind]
                s["tried"] += 1
                rc, out = run([a.ckpt, "verify", flipped])
                if rc == "timeout" or rc < 0 or rc > 2:
                    s["crashed"] += 1
                    print(f"CRASH/HANG: {kind} byte {pos} bit {bit}: exit {rc}\n{out[-500:]}", file=sys.stderr)
                    shutil.copy(flipped, os.path.join(os.environ.get("KEEP_DIR", "/tmp"), f"crash-{pos}-{bit}.h5"))
                elif rc != 0:
                    if not out.strip():
                        s["crashed"] += 1
                        print(f"no message: {kind} byte {pos} bit {bit}: exit {rc}", file=sys.stderr)
                    else:
                        s["detected"] += 1
                else:
                    drc, dout = run([a.ckpt, "diff", flipped, orig])
                    if drc == 0:
                        s["harmless"] += 1
                    else:
                        s["silent"] += 1
                        print(f"UNDETECTED change: {kind} byte {pos} bit {bit}\n{dout[:400]}", file=sys.stderr)
        d, m = stats["data"], stats["meta"]
        tot = {k: d[k] + m[k] for k in d}
        ok = tot["crashed"] == 0 and d["detected"] == d["tried"]
        print(f"bit flips (seed {a.seed}, {len(blob)} byte checkpoint, {len(data)} datasets): "
              f"{tot['tried']} flips tried, {tot['detected']} detected, {tot['crashed']} crashed or hung; "
              f"tensor data: {d['detected']}/{d['tried']} detected; "
              f"metadata and free space: {m['detected']}/{m['tried']} detected, {m['harmless']} harmless "
              f"(bytes nothing reads, content identical), {m['silent']} silent changes "
              f"-> {'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
