#!/usr/bin/env python3
"""Prints `make bench`'s one table from the raw results the part scripts leave in BENCH_RAW
(Benchmarks/{IO,Optim,Train}/run.sh with BENCH_RAW=DIR): each of ckpt's figures, each peer's
figure beside it, and the ratio ckpt / peer (above 1: ckpt is faster; below 1 is shown as it
is). Where a part measured several runs (IO: one fresh process per operation), figures are
median (min-max) and there are two ratios: of the minima (each tool's own cost on a noisy
machine) and of the medians (what a user sees). A peer that is not installed is listed as
missing; a part that did not run is listed as not run.

usage: python3 Benchmarks/table.py DIR
"""
import json
import os
import statistics
import sys


def lines(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def num(x):
    try:
        v = float(x)
        return None if v != v or v <= 0 else v
    except (TypeError, ValueError):
        return None


ROWS = []


def row(bench, ours, unit, peer, theirs, note="", ours_range=None, theirs_range=None):
    """One line of the table. `ours`/`theirs` are the figures compared (medians where there
    are several runs); `*_range` = (worst, best) in the same unit when runs were repeated, and
    then a ratio of the best figures is printed too."""
    ROWS.append((bench, ours, unit, peer, theirs, note, ours_range, theirs_range))


def fmt(v, unit):
    if v is None:
        return "missing"
    return f"{v:,.2f}" if v < 100 else f"{v:,.0f}"


IO_PEERS = [("swift-raw", "write()/read()"), ("numpy", "numpy savez/load"), ("h5py", "h5py"),
            ("safetensors", "safetensors"), ("torch", "torch.save/torch.load"), ("torch-mmap", "torch.load(mmap=True), lazy")]
SITUATIONS = [("new", False, "save, page cache, new file"), ("replace", False, "save, page cache, replacing"),
              ("new", True, "save + fsync, new file"), ("replace", True, "save + fsync, replacing")]


def io(d):
    p = os.path.join(d, "io.json")
    if not os.path.exists(p):
        row("save/load", None, "", "(IO part not run)", None)
        return
    with open(p) as f:
        doc = json.load(f)
    missing = doc.get("missing", {})
    res = {(e["size"], e["op"], e["situation"], e["sync"], e["contender"]): e for e in doc["results"]}
    sizes = list(dict.fromkeys(e["size"] for e in doc["results"] if e["size"] != "-"))
    nbytes = {e["size"]: e["bytes"] for e in doc["results"]}

    def figure(times, nb):
        """(median, (worst, best)) as GiB/s for large states, ms per operation for small ones."""
        if not times:
            return None, None
        lo, med, hi = min(times), statistics.median(times), max(times)
        if nb >= 64 << 20:
            g = nb / 2**30
            return g / med, (g / hi, g / lo)
        return med * 1e3, (hi * 1e3, lo * 1e3)

    def compare(label, ours_key, peers, nb, unit):
        ours = res.get(ours_key)
        o, orng = figure(ours["times"] if ours else None, nb)
        for key, name in peers:
            e = res.get(ours_key[:4] + (key,))
            t, trng = figure(e["times"] if e else None, nb)
            if t is None and key in missing:
                name = f"{name} (missing: {missing[key]})"
            row(label, o, unit, name, t, "", orng, trng)

    for size in sizes:
        nb = nbytes[size]
        unit = "GiB/s" if nb >= 64 << 20 else "ms"
        for situation, sync, what in SITUATIONS:
            compare(f"{what}, {size}", (size, "save", situation, sync, "ckpt"), IO_PEERS[:5], nb, unit)
        compare(f"load, warm page cache (ckpt verifies checksums), {size}", (size, "load", "warm", False, "ckpt"),
                IO_PEERS, nb, unit)
        compare(f"load without checksum verification, {size}", (size, "load", "warm", False, "ckpt-noverify"),
                IO_PEERS[:1], nb, unit)
        # Save (page cache, new file) + load: the sum of the two medians (and of the minima).
        def both(c):
            s, l = res.get((size, "save", "new", False, c)), res.get((size, "load", "warm", False, c))
            if not s or not l:
                return None, None
            lo = min(s["times"]) + min(l["times"])
            med = statistics.median(s["times"]) + statistics.median(l["times"])
            hi = max(s["times"]) + max(l["times"])
            if nb >= 64 << 20:
                g = nb / 2**30
                return g / med, (g / hi, g / lo)
            return med * 1e3, (hi * 1e3, lo * 1e3)
        o, orng = both("ckpt")
        for key, name in IO_PEERS[1:5]:
            t, trng = both(key)
            row(f"save (page cache, new file) + load, {size}", o, unit, name, t, "sums", orng, trng)
        if (size, "save", "new", False, "ckpt_torch") in res or "ckpt_torch" in missing:
            for situation, sync, what in SITUATIONS:
                k = (size, "save", situation, sync)
                o, orng = figure(res[k + ("ckpt_torch",)]["times"] if k + ("ckpt_torch",) in res else None, nb)
                t, trng = figure(res[k + ("h5py+xxhash",)]["times"] if k + ("h5py+xxhash",) in res else None, nb)
                row(f"python ckpt_torch.save ({what}), {size}", o, unit,
                    "h5py + xxhash" + (f" (missing: {missing['h5py+xxhash']})" if "h5py+xxhash" in missing else ""),
                    t, "ours: ckpt_torch.save" + (f", missing: {missing['ckpt_torch']}" if "ckpt_torch" in missing else ""),
                    orng, trng)
    # `ckpt verify` against the page-cache read rate, both whole processes: the ratio is
    # verify's rate over the read rate (above 1: verify is faster than reading).
    for size in sizes:
        o, t = res.get((size, "verify", "warm", False, "ckpt verify")), res.get((size, "verify", "warm", False, "page-cache read (dd bs=1M)"))
        if o or "ckpt verify" in missing:
            nb = nbytes[size]
            ov, orng = figure(o["times"] if o else None, nb)
            tv, trng = figure(t["times"] if t else None, nb)
            rss = f"peak RSS {o['peak_rss_mib']:.0f} MiB" if o and "peak_rss_mib" in o else ""
            row(f"ckpt verify (whole process, warm page cache), {size}", ov, "GiB/s", "page-cache read rate (dd bs=1M)",
                tv, rss, orng, trng)
    start = res.get(("-", "start", "-", False, "ckpt"))
    o, orng = figure(start["times"] if start else None, 0)
    for key, name in [("py-raw", "python3 + numpy"), ("h5py", "python3 + h5py"), ("safetensors", "python3 + safetensors"),
                      ("torch", "python3 + torch"), ("ckpt_torch", "python3 + ckpt_torch (h5py, torch)")]:
        e = res.get(("-", "start", "-", False, key))
        t, trng = figure(e["times"] if e else None, 0)
        row("process start + imports (excluded from the figures above)", o, "ms", name, t, "", orng, trng)


OPTIM_NAMES = {"adam": "Adam", "adamw": "AdamW", "sgd_momentum": "SGD momentum", "adamax": "Adamax",
               "nadam": "NAdam", "radam": "RAdam", "adadelta": "Adadelta", "asgd": "ASGD", "rprop": "Rprop",
               "adagrad": "Adagrad", "rmsprop": "RMSprop", "adafactor": "Adafactor", "muon": "Muon",
               "lbfgs": "LBFGS"}


def optim(d):
    """Per optimizer: ckpt's step beside PyTorch's fastest CPU setting for it (fused=True where
    offered, else foreach=True; medians at all cores), then ckpt's best step beside the memory
    bound of the same access pattern (bench-optim --contender bound, its best round)."""
    ours, theirs = lines(d, "optim.ours"), lines(d, "optim.peers")
    if ours is None:
        row("optimizer step", None, "", "(optim part not run)", None)
        return
    v = {}
    for l in ours:
        k, _, x = l.partition(" ")
        v["ours " + k] = x
    for l in theirs or []:
        k, _, x = l.partition(" ")
        v["theirs " + k] = x
    n = num(v.get("ours elements"))
    label = f"{n / 1e6:.0f} M params" if n else "10 M params"
    torch = v.get("theirs torch")
    listed = v.get("ours optimizers", "").split() or ["sgd_momentum", "adam"]
    for k in listed:
        name = OPTIM_NAMES.get(k, k)
        own = num(v.get(f"ours {k}_elements"))   # Muon and LBFGS run at sizes of their own
        if own and own != n:
            label = f"{own / 1e6:.2g} M params"
        else:
            label = f"{n / 1e6:.0f} M params" if n else "10 M params"
        o = num(v.get(f"ours {k}_elements_per_s"))
        t = num(v.get(f"theirs {k}_elements_per_s"))
        setting = v.get(f"theirs {k}_setting")
        peer = (f"PyTorch {torch}" if torch else "PyTorch") + (
            " single-tensor (its only step)" if setting == "single" else f" {setting}=True" if setting else "")
        row(f"{name} step, {label}", o / 1e6 if o else None, "M elem/s", peer, t / 1e6 if t else None, "median step")
        best = num(v.get(f"ours {k}_best_elements_per_s"))
        bound = num(v.get(f"ours {k}_bound_best_elements_per_s"))
        b = num(v.get(f"ours {k}_bytes_per_element"))
        if bound:
            row(f"{name} step, {label}", best / 1e6 if best else None, "M elem/s",
                f"memory bound ({b:.0f} B/elem, same access pattern)" if b else "memory bound",
                bound / 1e6, "best step vs best bound")


def train(d):
    ours, theirs = lines(d, "train.ours"), lines(d, "train.peers")
    if ours is None:
        row("LeNet training", None, "", "(train part not run)", None)
        return
    peer = {}
    for l in theirs or []:
        f = l.split()
        if len(f) == 4:
            peer[(f[1], f[2])] = num(f[3].split("=")[1])
    figures = [l.split() for l in ours if len(l.split()) == 4 and l.startswith("ckpt ")]
    if not figures:
        row("LeNet training", None, "images/s", "(bench-train printed no figures)", None)
    for f in figures:
        t, b = f[1].split("=")[1], f[2].split("=")[1]
        row(f"LeNet training, batch {b}, {t} thread{'s' if t != '1' else ''}", num(f[3].split("=")[1]), "images/s",
            "PyTorch", peer.get((f[1], f[2])))


def cell(v, rng, unit):
    if v is None:
        return "missing"
    if rng is None:
        return fmt(v, unit)
    # rng = (worst, best); printed low-high.
    lo, hi = sorted(rng)
    return f"{fmt(v, unit)} ({fmt(lo, unit)}–{fmt(hi, unit)})"


def ratio(ours, theirs, unit):
    """ckpt / peer, above 1 when ckpt is faster (times in ms: the inverse)."""
    if not ours or not theirs:
        return "-"
    r = theirs / ours if unit == "ms" else ours / theirs
    return f"{r:.2f}x"


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_RAW", "Benchmarks/out/raw")
    io(d)
    optim(d)
    train(d)
    print("| benchmark | unit | ckpt: median (min–max) | peer | peer: median (min–max) | ckpt / peer, best runs | ckpt / peer, medians |")
    print("|---|---|---:|---|---:|---:|---:|")
    for bench, ours, unit, peer, theirs, note, orng, trng in ROWS:
        best = ratio(orng[1], trng[1], unit) if orng and trng else "-"
        o = cell(ours, orng, unit) if ours is not None else ("not run" if peer.startswith("(") else "missing")
        t = cell(theirs, trng, unit) if theirs is not None else ("-" if peer.startswith("(") else "missing")
        print(f"| {bench}{' (' + note + ')' if note else ''} | {unit} | {o} | {peer} | {t} | {best} | {ratio(ours, theirs, unit)} |")


if __name__ == "__main__":
    main()
