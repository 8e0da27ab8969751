"""Peak memory and time of `ckpt verify`, `ckpt diff`, h5diff and a numpy diff on two
checkpoints (make_pair.py), each a fresh process, page cache warm, contenders interleaved;
reports min and median seconds over RUNS and the peak RSS (getrusage of the child, which
counts ckpt's isolated grandchild too). Also the page-cache read rate (`dd bs=1M`) that
verify is measured against. Usage: measure.py CKPT DIR [RUNS]

Figures are noisy on a machine others are using: compare ratios from the same run."""
import os
import statistics
import subprocess
import sys
import time

PY = sys.executable


def run(argv):
    t = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, dict(os.environ), file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)])
    _, status, usage = os.wait4(pid, 0)
    return time.perf_counter() - t, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


def main(ckpt, directory, runs=7):
    a, b = os.path.join(directory, "a.h5"), os.path.join(directory, "b.h5")
    here = os.path.dirname(os.path.abspath(__file__))
    contenders = {
        "page cache read (dd bs=1M, A)": ["dd", f"if={a}", "of=/dev/null", "bs=1M"],
        "ckpt verify A": [ckpt, "verify", a],
        "ckpt diff A B": [ckpt, "diff", a, b],
        "h5diff A B": ["h5diff", a, b],
        "numpy diff A B": [PY, os.path.join(here, "numpy_diff.py"), a, b],
    }
    for f in (a, b):
        subprocess.run(["cat", f], stdout=subprocess.DEVNULL, check=True)
    names = list(contenders)
    times = {n: [] for n in names}
    peak = {n: 0 for n in names}
    for r in range(runs):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            s, rss, _ = run(contenders[n])
            times[n].append(s)
            peak[n] = max(peak[n], rss)
    size = os.path.getsize(a)
    print(f"files: 2 x {size / 2**30:.2f} GiB, {runs} runs each, load average {os.getloadavg()[0]:.1f}")
    print(f"{'contender':34} {'min s':>7} {'median s':>9} {'peak RSS MiB':>13}")
    for n in names:
        print(f"{n:34} {min(times[n]):7.3f} {statistics.median(times[n]):9.3f} {peak[n] / 2**20:13.1f}")
    dd, verify = times[names[0]], times[names[1]]
    print(f"verify / page-cache read rate: min {min(dd) / min(verify):.2f}, median {statistics.median(dd) / statistics.median(verify):.2f}")
    for peer in names[3:]:
        print(f"ckpt diff speed vs {peer}: min {min(times[peer]) / min(times[names[2]]):.2f}x, "
              f"median {statistics.median(times[peer]) / statistics.median(times[names[2]]):.2f}x")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 7)
