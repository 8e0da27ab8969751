#!/usr/bin/env python3
"""Trial "shared run directory" (issue 15): others can write into the run directory.

1. Symlink race: `ckpt train` saves a checkpoint every step while an attacker thread polls
   the directory and swaps every save temporary (`.<name>.partial-*`) it sees for a symlink
   to a victim file outside the directory (the issue's attack, which won 6 of 6 saves before).
   Passes when the victim is unchanged, the run exits 0, every checkpoint name holds a
   regular file (no symlink) that passes `ckpt verify`, and the attacker did swap temporaries.
2. Two writers: a second `ckpt train --out D` while the first runs is refused with exit 2,
   naming the first's pid; the first finishes and its final checkpoint verifies.
Prints one figure line; exit 0 when the trial passes.
  CKPT=path/to/ckpt python3 scripts/reliability/shared_directory.py
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CKPT = os.environ.get("CKPT", os.path.join(ROOT, ".build/release/ckpt"))
EPOCHS = int(os.environ.get("EPOCHS", "6"))


def config(path, epochs, every_steps):
    json.dump({"model": {"type": "mlp", "sizes": [3072, 16, 10]},
               "data": {"dataset": "synthetic", "train_size": 96, "test_size": 32, "batch_size": 8},
               "optimizer": {"type": "Adam", "lr": 0.001},
               "scheduler": {"type": "StepLR", "step_size": 5, "gamma": 0.5, "interval": "step"},
               "epochs": epochs, "seed": 7, "checkpoint": {"every_epochs": 1, "every_steps": every_steps}},
              open(path, "w"))


def symlink_race(work):
    run = os.path.join(work, "run")
    os.mkdir(run)
    victim = os.path.join(work, "victim.txt")
    original = b"precious bytes that ckpt must never overwrite\n" * 64
    open(victim, "wb").write(original)
    cfg = os.path.join(work, "race.json")
    config(cfg, EPOCHS, 1)
    stop = threading.Event()
    swaps = [0]

    def attacker():
        while not stop.is_set():
            try:
                names = os.listdir(run)
            except OSError:
                continue
            for name in names:
                if ".partial-" not in name or name.endswith(".moved"):
                    continue
                p = os.path.join(run, name)
                try:
                    if os.path.islink(p):
                        continue
                    os.rename(p, p + ".moved")
                    os.symlink(victim, p)
                    swaps[0] += 1
                except OSError:
                    pass

    t = threading.Thread(target=attacker)
    t.start()
    r = subprocess.run([CKPT, "train", "--config", cfg, "--out", run], capture_output=True, text=True)
    stop.set()
    t.join()
    names = sorted(n for n in os.listdir(run) if n.endswith(".h5") and not n.startswith("."))
    links = [n for n in names if os.path.islink(os.path.join(run, n))]
    bad = []
    for n in names:
        p = os.path.join(run, n)
        if not stat.S_ISREG(os.lstat(p).st_mode) or subprocess.run([CKPT, "verify", p], capture_output=True).returncode != 0:
            bad.append(n)
    untouched = open(victim, "rb").read() == original
    ok = r.returncode == 0 and untouched and not links and not bad and swaps[0] > 0 and len(names) > 0
    if r.returncode != 0:
        sys.stderr.write(r.stderr[-2000:])
    return ok, (f"{len(names)} checkpoints saved by `ckpt train` (one per step) while a polling attacker "
                f"swapped {swaps[0]} temporaries for symlinks to a victim file: victim "
                f"{'unchanged' if untouched else 'CHANGED'}, {len(links)} symlinks under checkpoint names, "
                f"{len(bad)} fail `ckpt verify`, exit {r.returncode}")


def two_writers(work):
    run = os.path.join(work, "shared")
    cfg = os.path.join(work, "long.json")
    config(cfg, 40, 4)
    first = subprocess.Popen([CKPT, "train", "--config", cfg, "--out", run],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lock = os.path.join(run, ".ckpt-lock")
    deadline = time.time() + 60
    while time.time() < deadline and first.poll() is None:
        if os.path.exists(lock) and open(lock).read().startswith("pid "):
            break
        time.sleep(0.02)
    second = subprocess.run([CKPT, "train", "--config", cfg, "--out", run], capture_output=True, text=True)
    first_running = first.poll() is None
    _, err = first.communicate()
    final = os.path.join(run, "epoch-40.h5")
    verified = os.path.exists(final) and subprocess.run([CKPT, "verify", final], capture_output=True).returncode == 0
    message = second.stderr.strip().splitlines()[-1] if second.stderr.strip() else ""
    named = f"pid {first.pid} " in message
    ok = first_running and second.returncode == 2 and named and first.returncode == 0 and verified
    if first.returncode != 0:
        sys.stderr.write(err[-2000:])
    return ok, (f"second `ckpt train --out D` during the first: exit {second.returncode}, "
                f"\"{message[message.find('another'):] if 'another' in message else message}\"; "
                f"first run exit {first.returncode}, epoch-40.h5 {'verifies' if verified else 'MISSING OR BAD'}")


def main():
    if not os.access(CKPT, os.X_OK):
        print(f"error: {CKPT} not found; run 'swift build -c release --product ckpt' or set CKPT", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="ckpt-shared-")
    try:
        ok1, fig1 = symlink_race(work)
        ok2, fig2 = two_writers(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = "PASS" if ok1 and ok2 else "FAIL"
    print(f"shared run directory: {fig1}; {fig2} -> {result}")
    return 0 if result == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
