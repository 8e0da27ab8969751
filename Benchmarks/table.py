#!/usr/bin/env python3
"""Prints `make bench`'s one table from the raw rows the part scripts leave in BENCH_RAW
(Benchmarks/{IO,Optim,Train}/run.sh with BENCH_RAW=DIR): each of ckpt's figures, each
peer's figure beside it, and the ratio ckpt / peer (above 1: ckpt is faster). A peer that is
not installed is listed as missing; a part that did not run is listed as not run.

usage: python3 Benchmarks/table.py DIR
"""
import os
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


def row(bench, ours, unit, peer, theirs, note=""):
    ROWS.append((bench, ours, unit, peer, theirs, note))


def fmt(v, unit):
    if v is None:
        return "missing"
    return f"{v:,.2f}" if v < 100 else f"{v:,.0f}"


def io(d):
    ours, peers = lines(d, "io.ours"), lines(d, "io.peers")
    if ours is None:
        row("save/load 1 GiB state", None, "", "(io part not run)", None)
        return
    table, total = {}, None
    for l in (ours or []) + (peers or []):
        parts = l.split("|")
        if len(parts) != 5:
            continue
        name, s, ss, ld, b = parts
        total = float(b) if num(b) else total
        table[name] = [((float(b) / 2**30) / num(x)) if num(x) and num(b) else None for x in (s, ss, ld)]
    ck = table.get("ckpt CheckpointFile (xxh64)", [None] * 3)
    size = f"{total / 2**30:g} GiB" if total else "1 GiB"
    peers_order = [n for n in table if not n.startswith("ckpt")]
    for i, what in enumerate(("save (page cache)", "save + fsync", "load (checksums verified)")):
        for p in peers_order:
            row(f"{what}, {size}", ck[i], "GiB/s", p, table[p][i])
    nv = table.get("ckpt load without verify")
    if nv and nv[2]:
        row(f"load without checksum check, {size}", nv[2], "GiB/s", "h5py contiguous", table.get("h5py contiguous", [None] * 3)[2])


def optim(d):
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
    traffic = num(v.get("ours triad_traffic_bytes_per_s"))
    torch = v.get("theirs torch")
    for k, name in (("sgd_momentum", "SGD momentum"), ("adam", "Adam")):
        o = num(v.get(f"ours {k}_elements_per_s"))
        o = o / 1e6 if o else None
        t = num(v.get(f"theirs {k}_elements_per_s"))
        row(f"{name} step, {label}", o, "M elem/s", f"PyTorch {torch}" if torch else "PyTorch", t / 1e6 if t else None, "median step")
        best = num(v.get(f"ours {k}_best_elements_per_s"))
        b = num(v.get(f"ours {k}_bytes_per_element"))
        if traffic and b:
            row(f"{name} step, {label}", best / 1e6 if best else None, "M elem/s", f"STREAM-triad bound ({b:.0f} B/elem)",
                traffic / b / 1e6, "best step vs best triad")


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


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_RAW", "Benchmarks/out/raw")
    io(d)
    optim(d)
    train(d)
    print("| benchmark | unit | ckpt | peer | peer's figure | ckpt / peer |")
    print("|---|---|---:|---|---:|---:|")
    for bench, ours, unit, peer, theirs, note in ROWS:
        ratio = f"{ours / theirs:.2f}x" if ours and theirs else "-"
        o = fmt(ours, unit) if ours is not None else ("not run" if peer.startswith("(") else "missing")
        t = fmt(theirs, unit) if theirs is not None else ("-" if peer.startswith("(") else "missing")
        print(f"| {bench}{' (' + note + ')' if note else ''} | {unit} | {o} | {peer} | {t} | {ratio} |")


if __name__ == "__main__":
    main()
