#!/usr/bin/env python3
"""Formats bench-io + io_peers.py lines (name|save_nosync_s|save_sync_s|load_s|bytes) as one table."""
import sys


def num(x):
    try:
        v = float(x)
        return None if v != v else v
    except ValueError:
        return None


rows = [l.rstrip("\n").split("|") for l in sys.stdin if l.count("|") == 4]
table = {}
header = "{:32} {:>11} {:>11} {:>11}".format("method (GiB/s, best of runs)", "save", "save+fsync", "load")
print(header)
for name, s, ss, l, b in rows:
    b = float(b)
    vals = [(b / 2**30) / num(x) if num(x) else None for x in (s, ss, l)]
    table[name] = vals
    if s == "missing":
        print("{:32} {:>11}".format(name, "missing"))
    else:
        print("{:32} {:>11} {:>11} {:>11}".format(name, *["-" if v is None else "%.2f" % v for v in vals]))
print()
ck = table.get("ckpt CheckpointFile (xxh64)")
if ck:
    for label, key in (("h5py", "h5py contiguous"), ("swift write()", "swift write()/read()"),
                       ("python write()", "python write()/read()")):
        o = table.get(key)
        if o and all(v is not None for v in o):
            print("ckpt / {:15} save {:5.2f}x   save+fsync {:5.2f}x   load {:5.2f}x".format(
                label, ck[0] / o[0], ck[1] / o[1], ck[2] / o[2]))
    print("targets: save >= 1.00x h5py and >= 0.80x write(); load >= 1.00x h5py")
