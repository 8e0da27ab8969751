#!/usr/bin/env python3
"""Trial "bad configs": every key of the run config (docs/CONFIG.md) given a wrong type, a wrong
value and a misspelled name, one at a time, on top of a small valid config. Each case must make
`ckpt train` exit 2 with a message naming the key (its dotted path, or its section and its own
name), train nothing and write nothing (the --out directory must not exist afterwards).

Usage: bad_configs.py [--ckpt BIN] [-v]
"""
import argparse, copy, json, os, re, shutil, subprocess, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASE = {
    "model": {"type": "mlp", "sizes": [3072, 8, 10]},
    "data": {"dataset": "synthetic", "train_size": 16, "test_size": 8,
             "batch_size": 8, "shuffle": True, "limit": None},
    "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9, "param_groups": None},
    "scheduler": {"type": "ExponentialLR", "gamma": 0.9, "interval": "epoch"},
    "epochs": 1, "seed": 0,
    "checkpoint": {"every_epochs": 1, "every_steps": None},
    "log_every": 2000,
}
HDF5_DATA = {"dataset": "hdf5", "path": "/nonexistent/train.h5", "batch_size": 8}
CIFAR_DATA = {"dataset": "cifar10", "root": "/nonexistent/CIFAR10", "batch_size": 8}
PLATEAU = {"type": "ReduceLROnPlateau", "metric": "test_loss"}

# key -> (wrong types, wrong values); each value is applied alone at that key.
CASES = {
    "model.type": (3, "resnet"),
    "model.sizes": ("3072,8,10", [3072, -8, 10]),
    "data.dataset": (1, "imagenet"),
    "data.root": (5, None),
    "data.path": (["a.h5"], None),
    "data.test_path": (7, None),
    "data.train_size": ("16", 0),
    "data.test_size": (1.5, -1),
    "data.batch_size": ("8", 0),
    "data.shuffle": ("yes", None),
    "data.limit": ("10", 0),
    "optimizer.type": (1, "SGDD"),
    "optimizer.lr": ("0.01", -1.0),
    "optimizer.momentum": ([0.9], -0.5),
    "optimizer.param_groups": ("all", [{"params": ["nomatch*"]}]),
    "scheduler": ("ExponentialLR", None),
    "scheduler.type": (2, "NoSuchLR"),
    "scheduler.gamma": ("0.9", None),
    "scheduler.interval": (1, "batch"),
    "scheduler.metric": (0, "val_acc"),
    "epochs": ("3", 0),
    "seed": (0.5, -1),
    "checkpoint.every_epochs": ("1", 0),
    "checkpoint.every_steps": (True, -3),
    "log_every": ("10", 0),
}
# Values that are valid JSON of the right type but need a context to be wrong.
CONTEXT = {
    "data.root": lambda c: c.update(data=dict(CIFAR_DATA)),
    "data.path": lambda c: c.update(data=dict(HDF5_DATA)),
    # a readable training file (written by main()) and a test file that does not exist
    "data.test_path": lambda c: c.update(data=dict(HDF5_DATA, path=GOOD_DATA[0], test_path="/nonexistent/test.h5")),
    "scheduler.metric": lambda c: c.update(scheduler=dict(PLATEAU)),
}


GOOD_DATA = []


def put(cfg, key, value):
    *parents, leaf = key.split(".")
    d = cfg
    for p in parents:
        d = d[p]
    d[leaf] = value


def rename(cfg, key):
    """Misspells the key's last component (drops a letter or doubles one)."""
    *parents, leaf = key.split(".")
    d = cfg
    for p in parents:
        d = d[p]
    bad = leaf[:-1] if len(leaf) > 3 else leaf + leaf[-1]
    bad = leaf[:2] + leaf[3:] if len(leaf) > 4 else bad
    items = list(d.items())
    d.clear()
    for k, v in items:
        d[bad if k == leaf else k] = v
    if leaf not in dict(items):
        d[bad] = None
    return ".".join(parents + [bad])


def names_key(msg, key):
    if key in msg:
        return True
    *parents, leaf = key.split(".")
    return (not parents or ".".join(parents) in msg) and re.search(r"\b%s\b" % re.escape(leaf), msg) is not None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.environ.get("CKPT", os.path.join(ROOT, ".build/release/ckpt")))
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ckpt-badcfg.")
    tried = passed = 0
    failures = []
    try:
        cfgp, out = os.path.join(work, "cfg.json"), os.path.join(work, "out")
        json.dump(BASE, open(cfgp, "w"))
        GOOD_DATA.append(os.path.join(work, "train.h5"))
        try:
            import h5py, numpy as np
            with h5py.File(GOOD_DATA[0], "w") as f:
                f["images"] = np.zeros((16, 3, 32, 32), np.uint8)
                f["labels"] = np.zeros(16, np.int64)
        except ImportError:
            del CASES["data.test_path"]  # needs h5py to write a valid training file
        p = subprocess.run([a.ckpt, "train", "--config", cfgp, "--out", out], capture_output=True, timeout=120)
        if p.returncode != 0:
            print("the base config does not train:", p.stderr.decode(), file=sys.stderr)
            return 2
        shutil.rmtree(out)
        for key, (wtype, wvalue) in CASES.items():
            variants = [("wrong type", wtype, key)]
            if wvalue is not None or key in CONTEXT:
                variants.append(("wrong value", wvalue, key))
            variants.append(("misspelled", None, None))
            for kind, value, named in variants:
                cfg = copy.deepcopy(BASE)
                if kind == "wrong value" and key in CONTEXT:
                    CONTEXT[key](cfg)
                    if value is not None:
                        put(cfg, key, value)
                elif kind == "misspelled":
                    named = rename(cfg, key) if "." in key or key in cfg else key
                else:
                    if key in CONTEXT and kind == "wrong type":
                        CONTEXT[key](cfg)
                    put(cfg, key, value)
                json.dump(cfg, open(cfgp, "w"))
                tried += 1
                try:
                    p = subprocess.run([a.ckpt, "train", "--config", cfgp, "--out", out],
                                       capture_output=True, timeout=30)
                    rc, msg = p.returncode, (p.stdout + p.stderr).decode(errors="replace").strip()
                except subprocess.TimeoutExpired:
                    rc, msg = "timeout", ""
                wrote = os.path.exists(out)
                ok = rc == 2 and names_key(msg, named) and not wrote
                if ok:
                    passed += 1
                else:
                    failures.append(f"{key} {kind}: exit {rc}, wrote {wrote}: {msg[:200]}")
                if a.v:
                    print(f"{'ok  ' if ok else 'FAIL'} {key} {kind}: {msg[:160]}")
                shutil.rmtree(out, ignore_errors=True)
        for f in failures:
            print("  FAIL " + f, file=sys.stderr)
        print(f"bad configs: {len(CASES)} keys, {tried} cases (wrong type, wrong value, misspelling): "
              f"{passed} exit 2 naming the key with nothing written, {len(failures)} do not "
              f"-> {'PASS' if not failures else 'FAIL'}")
        return 0 if not failures else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
