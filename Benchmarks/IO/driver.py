#!/usr/bin/env python3
"""Runs the IO benchmark as users meet it: ONE save or ONE load per fresh process, for ckpt
(bench-io) and every Python peer (peers.py), interleaved in rotating order, --runs times each.

For each state size (1 GiB in 64 tensors, 1 MiB in 64 tensors, 10,000 tensors of 1 KiB):
- save, in four situations: page cache or fsync, to a new file or replacing the contender's
  own file of the previous run. Before every save, `sync` (untimed) flushes what earlier
  processes left dirty, so every contender starts from the same clean page cache
  (--no-settle skips it: on a slow disk each sync of 1 GiB takes seconds); the state is read
  from one raw source file (untimed), so everyone writes the same bytes.
- load, warm page cache: the file is read once (untimed) right before every load.
- Memory, the same for everyone: every timed process, after its untimed set-up (imports,
  reading the source) and right before its timed operation, touches and frees 2.5x the
  state's size in huge pages (untimed; --no-prime skips it). On a VM that hands freed memory
  back to its host (virtio-balloon free page reporting, as on this machine) the first touch
  of such memory, page cache included, costs 2-5 s per GiB. Without priming, whether a
  process met it depended on what ran before it: in the run of 2026-12-05 00:28 every load
  that followed `ckpt-of-torch` took 2.4-4.0 s instead of 0.15 s. A throwaway process that
  primed before each contender started (that run's fix) was not enough: the host took the
  memory back while a slow starter imported torch (1.3 s), so `ckpt_torch` saves of 1 GiB
  took 1.1-1.8 s in 3-4 rounds of 7 (4.2-4.9 s against 0.31-0.36 s primed in-process, by hand).
Each process times only its own operation (perf_counter / CLOCK_MONOTONIC around the call);
process start and imports are measured separately (`--op start`: the wall time of a
process that imports what it needs and exits).

`ckpt verify` of the largest state's checkpoint (written by bench-io, so its manifest is
signed and it streams through the trusted path), page cache warm, beside the page-cache read
rate (`dd bs=1M` of the same file): both timed as whole processes (os.wait4 wall time, start
included), interleaved, with verify's peak RSS (the isolated child's included); reported as
verify's rate over the read rate.

Writes every time to --json (for Benchmarks/table.py) and prints the part's own table:
min, median and max per contender, and ckpt's ratio to each (minima and medians).

usage: driver.py --bin .build/release/bench-io [--ckpt .build/release/ckpt] [--runs 7] [--quick] [--no-settle] [--no-prime]
                 [--dir DIR] [--json OUT]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers.py")

SIZES = [("1 GiB", 64, 1 << 22), ("1 MiB", 64, 1 << 12), ("10,000 x 1 KiB", 10_000, 256)]
QUICK_SIZES = [("64 MiB", 64, 1 << 18), ("1 MiB", 64, 1 << 12), ("1,000 x 1 KiB", 1_000, 256)]
SWIFT = {"ckpt", "ckpt-noverify", "swift-raw", "ckpt-pt", "ckpt-of-torch"}
SAVERS = ["ckpt", "swift-raw", "py-raw", "numpy", "h5py", "safetensors", "torch", "ckpt-pt"]
# Measured on the largest size only: the Python package against what it does at least.
PY_SAVERS = ["ckpt_torch", "h5py+xxhash"]
LOADERS = ["ckpt", "ckpt-noverify", "swift-raw", "py-raw", "numpy", "h5py", "safetensors", "torch", "torch-mmap", "ckpt-pt", "ckpt-of-torch"]
STARTERS = ["ckpt", "py-raw", "numpy", "h5py", "safetensors", "torch", "ckpt_torch"]
FILE_OF = {"ckpt-noverify": "ckpt", "torch-mmap": "torch", "ckpt-of-torch": "torch"}
EXT = {"ckpt": ".h5", "swift-raw": ".raw", "py-raw": ".praw", "numpy": ".npz", "h5py": ".h5py.h5",
       "safetensors": ".safetensors", "torch": ".pt", "ckpt_torch": ".ckpt_torch.h5", "h5py+xxhash": ".xxh.h5",
       "ckpt-pt": ".ckpt.pt"}
SITUATIONS = [("new", False), ("replace", False), ("new", True), ("replace", True)]


class Runner:
    def __init__(self, a):
        self.a = a
        self.missing = {}
        self.results = []   # dicts: size, bytes, op, situation, sync, contender, times

    def command(self, contender, op, extra):
        if contender in SWIFT:
            return [self.a.bin, "--op", op, "--format", contender] + extra
        return [sys.executable, PEERS, "--op", op, "--format", contender] + extra

    def run(self, contender, op, extra):
        """Seconds the operation took (as the process reports it), the process's wall time,
        or None when the contender is missing (recorded once with its reason)."""
        if contender in self.missing:
            return None
        for attempt in range(2):
            t0 = time.perf_counter()
            try:
                p = subprocess.run(self.command(contender, op, extra), capture_output=True, text=True, timeout=1800)
            except OSError as e:   # e.g. the binary being relinked by a build meanwhile
                p = subprocess.CompletedProcess([], 127, "", str(e))
            wall = time.perf_counter() - t0
            if p.returncode == 0:
                break
            time.sleep(2)   # one retry: a transient failure must not turn a contender "missing"
        out = p.stdout.strip().splitlines()
        last = out[-1] if out else ""
        if p.returncode == 0 and last.startswith("missing"):
            self.missing[contender] = last[len("missing "):]
            return None
        if p.returncode != 0 or not last.startswith("seconds "):
            # A contender that fails is reported as such, never silently dropped.
            why = (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]
            self.missing[contender] = f"failed: {why[:200]}"
            print(f"  {contender} {op} failed: {p.stderr.strip()[-500:]}", file=sys.stderr)
            return None
        return float(last.split()[1]), wall

    def record(self, size, nbytes, op, situation, sync, contender, times):
        self.results.append(dict(size=size, bytes=nbytes, op=op, situation=situation, sync=sync,
                                 contender=contender, times=times))

    def save_json(self, runs):
        """Written after every phase, so an interrupted run keeps what it measured."""
        if self.a.json:
            doc = dict(runs=runs, quick=self.a.quick, settle=self.a.settle, python=sys.executable,
                       results=self.results, missing=self.missing)
            with open(self.a.json, "w") as f:
                json.dump(doc, f, indent=1)


def rotate(xs, r):
    r %= len(xs)
    return xs[r:] + xs[:r]


def write_source(path, nbytes):
    """The state's bytes: normally distributed float32 (numpy) or random bytes without it."""
    with open(path, "wb") as f:
        try:
            import numpy as np
            rng = np.random.default_rng(0)
            left = nbytes // 4
            while left:
                n = min(left, 1 << 24)
                f.write(rng.standard_normal(n, dtype=np.float32).tobytes())
                left -= n
        except ImportError:
            left = nbytes
            while left:
                n = min(left, 1 << 26)
                f.write(os.urandom(n))
                left -= n


def warm(path):
    """Reads the file once so the timed load finds it in the page cache."""
    buf = bytearray(1 << 22)
    with open(path, "rb", buffering=0) as f:
        while f.readinto(buf):
            pass


def prime(R, nbytes):
    """The timed process's --prime argument: 2.5x the state's size (see the module doc)."""
    return ["--prime", str(max(nbytes * 5 // 2, 1 << 20))] if R.a.prime else []


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def bench_size(R, label, tensors, elements, runs, savers):
    a = R.a
    nbytes = tensors * elements * 4
    src = os.path.join(a.dir, "source.raw")
    write_source(src, nbytes)
    common = ["--tensors", str(tensors), "--elements", str(elements)]
    target = {c: os.path.join(a.dir, "state" + EXT[c]) for c in set(savers) | {FILE_OF.get(c, c) for c in LOADERS}}
    times = {}
    for r in range(runs):
        for situation, sync in SITUATIONS:
            for c in rotate(savers, r):
                path = target[c]
                if situation == "new":
                    remove(path)
                elif not os.path.exists(path):
                    R.run(c, "save", common + ["--path", path, "--source", src])   # something to replace
                if R.a.settle:
                    os.sync()
                got = R.run(c, "save", common + ["--path", path, "--source", src] + (["--sync"] if sync else [])
                            + prime(R, nbytes))
                if got:
                    times.setdefault(("save", situation, sync, c), []).append(got[0])
        print(f"  {label}: saves, run {r + 1}/{runs} done", file=sys.stderr)
    for c in savers:
        for situation, sync in SITUATIONS:
            t = times.get(("save", situation, sync, c))
            if t:
                R.record(label, nbytes, "save", situation, sync, c, t)
    R.save_json(runs)
    if savers is PY_SAVERS:
        remove(src)
        for c in savers:
            remove(target[c])
        return
    for r in range(runs):
        for c in rotate(LOADERS, r):
            path = target[FILE_OF.get(c, c)]
            if c in R.missing or FILE_OF.get(c, c) in R.missing or not os.path.exists(path):
                R.missing.setdefault(c, R.missing.get(FILE_OF.get(c, c), "its save did not run"))
                continue
            warm(path)
            got = R.run(c, "load", common + ["--path", path] + prime(R, nbytes))
            if got:
                times.setdefault(("load", c), []).append(got[0])
        print(f"  {label}: loads, run {r + 1}/{runs} done", file=sys.stderr)
    for c in LOADERS:
        if times.get(("load", c)):
            R.record(label, nbytes, "load", "warm", False, c, times[("load", c)])
    remove(src)
    for p in set(target.values()):
        remove(p)


# Times whole processes from a fresh, small interpreter: a child's peak RSS (ru_maxrss) starts
# at its parent's when it is forked, so timed from this process (numpy loaded, the state's
# source written) every child would report this process's size. Prints, as JSON, per
# contender name, a list of [wall seconds, peak RSS MiB] or null for a run that failed.
TIMER = r"""
import json, os, sys, time
runs, cmds = int(sys.argv[1]), json.loads(sys.argv[2])
names, out = list(cmds), {n: [] for n in cmds}
for r in range(runs):
    for n in names[r % len(names):] + names[:r % len(names)]:
        t = time.perf_counter()
        pid = os.posix_spawnp(cmds[n][0], cmds[n], dict(os.environ), file_actions=[
            (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - t
        out[n].append([wall, usage.ru_maxrss / 1024] if os.waitstatus_to_exitcode(status) == 0 else None)
print(json.dumps(out))
"""


VERIFY, READ = "ckpt verify", "page-cache read (dd bs=1M)"


def bench_verify(R, label, tensors, elements, runs):
    """`ckpt verify FILE` against `dd` reading the same file, both whole processes, warm cache."""
    a = R.a
    nbytes = tensors * elements * 4
    src, path = os.path.join(a.dir, "source.raw"), os.path.join(a.dir, "verify.h5")
    write_source(src, nbytes)
    got = R.run("ckpt", "save", ["--tensors", str(tensors), "--elements", str(elements), "--path", path, "--source", src])
    remove(src)
    if not got or not os.path.exists(a.ckpt):
        R.missing[VERIFY] = "its checkpoint could not be written" if not got else f"no {a.ckpt}"
        return
    contenders = {VERIFY: [a.ckpt, "verify", path], READ: ["dd", f"if={path}", "of=/dev/null", "bs=1M"]}
    times, rss = {c: [] for c in contenders}, {c: [] for c in contenders}
    warm(path)
    p = subprocess.run([sys.executable, "-I", "-S", "-c", TIMER, str(runs), json.dumps(contenders)],
                       capture_output=True, text=True)
    got = json.loads(p.stdout) if p.returncode == 0 else {}
    for c in contenders:
        for run in got.get(c, [None]):
            if run is None:
                R.missing.setdefault(c, "failed" if got else f"timer failed: {p.stderr.strip()[-200:]}")
                continue
            times[c].append(run[0])
            rss[c].append(run[1])
    for c in contenders:
        if times[c]:
            R.results.append(dict(size=label, bytes=nbytes, op="verify", situation="warm", sync=False,
                                  contender=c, times=times[c], peak_rss_mib=max(rss[c])))
    remove(path)
    print(f"  {label}: verify done", file=sys.stderr)


def bench_start(R, runs):
    walls = {}
    for r in range(runs):
        for c in rotate(STARTERS, r):
            got = R.run(c, "start", [])
            if got:
                walls.setdefault(c, []).append(got[1])
    for c in STARTERS:
        if walls.get(c):
            R.record("-", 0, "start", "-", False, c, walls[c])


def stats(t):
    return min(t), statistics.median(t), max(t)


def show(v, nbytes):
    if nbytes >= 64 << 20:
        return f"{nbytes / 2**30 / v:6.2f} GiB/s"
    return f"{v * 1e3:8.2f} ms"


def print_table(R):
    print("| size | operation | contender | best | median | worst | ckpt / it, best runs | ckpt / it, medians |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    key = lambda e: (e["size"], e["op"], e["situation"], e["sync"])
    groups = {}
    for e in R.results:
        groups.setdefault(key(e), []).append(e)
    for k, es in groups.items():
        size, op, situation, sync = k
        by = {e["contender"]: e for e in es}
        what = op if op != "save" else f"save, {'fsync' if sync else 'page cache'}, {'new file' if situation == 'new' else 'replacing'}"
        for e in es:
            lo, med, hi = stats(e["times"])
            nb = e["bytes"]
            # Best = the shortest time (for throughput: the highest rate).
            cells = [show(lo, nb), show(med, nb), show(hi, nb)] if nb else [f"{x * 1e3:8.1f} ms" for x in (lo, med, hi)]
            # The Python package is compared with what it does at least; everything else with ckpt.
            ours = by.get("ckpt_torch" if e["contender"] == "h5py+xxhash" else "ckpt")
            if ours and e is not ours and e["contender"] != "ckpt_torch":
                olo, omed, _ = stats(ours["times"])
                r1, r2 = f"{lo / olo:.2f}x", f"{med / omed:.2f}x"
            else:
                r1 = r2 = ""
            print(f"| {size} | {what} | {e['contender']} | {' | '.join(cells)} | {r1} | {r2} |")
    for c, why in R.missing.items():
        print(f"| | | {c} | missing: {why} | | | | |")
    v = {e["contender"]: e for e in R.results if e["op"] == "verify"}
    if VERIFY in v and READ in v:
        o, d = v[VERIFY], v[READ]
        print(f"\n{VERIFY} of {o['size']} (whole process, page cache warm): rate / page-cache read rate = "
              f"{min(d['times']) / min(o['times']):.2f} (best runs), "
              f"{statistics.median(d['times']) / statistics.median(o['times']):.2f} (medians); "
              f"peak RSS {o['peak_rss_mib']:.0f} MiB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/bench-io")
    ap.add_argument("--ckpt", default=".build/release/ckpt", help="the ckpt binary whose `verify` is timed")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="small sizes, 3 runs: a smoke test, not a measurement")
    ap.add_argument("--dir", default=".build/bench-io")
    ap.add_argument("--json", default="")
    ap.add_argument("--no-settle", dest="settle", action="store_false",
                    help="no `sync` before each save (faster on a slow disk; saves then meet the writeback "
                         "of earlier ones, as in a training loop)")
    ap.add_argument("--no-prime", dest="prime", action="store_false",
                    help="do not touch and free 2.5x the state's memory before each timed operation")
    a = ap.parse_args()
    runs = 3 if a.quick and a.runs == 7 else a.runs
    os.makedirs(a.dir, exist_ok=True)
    R = Runner(a)
    sizes = QUICK_SIZES if a.quick else SIZES
    print(f"IO: one operation per process, {runs} runs each in rotating order; python {sys.executable} "
          f"{sys.version.split()[0]}; files in {a.dir}; "
          f"{'before each save `sync`' if a.settle else 'no sync between saves'}, before each load one untimed read"
          f"{', before each operation 2.5x its memory touched and freed' if a.prime else ''}",
          file=sys.stderr)
    # Small states first: quick to measure, and an interrupted run keeps them.
    for label, tensors, elements in sizes[1:] + sizes[:1]:
        bench_size(R, label, tensors, elements, runs, SAVERS)
        R.save_json(runs)
    label, tensors, elements = sizes[0]
    bench_size(R, label, tensors, elements, runs, PY_SAVERS)
    bench_verify(R, label, tensors, elements, runs)
    R.save_json(runs)
    bench_start(R, runs)
    R.save_json(runs)
    print_table(R)


if __name__ == "__main__":
    main()
