#!/usr/bin/env bash
# Optimizer steps on one float32 parameter of ELEMENTS (10 M) elements, for each element-wise
# optimizer (OPTIMIZERS: Adam, AdamW, SGD momentum, Adamax, NAdam, RAdam, Adadelta, ASGD, Rprop,
# Adagrad, RMSprop, Adafactor): ckpt beside PyTorch's fastest CPU setting for it (fused=True
# where PyTorch offers it: Adam, AdamW, SGD, Adagrad; else foreach=True) and beside the memory
# bound of the step's access pattern, each at 1 thread and at all cores (THREADS, default
# nproc; PyTorch through torch.set_num_threads). For Adam, AdamW and SGD momentum every
# PyTorch setting in PEERS runs (fused, foreach, single-tensor). Muon (one [N/1024, 1024]
# matrix, MUON_ELEMENTS = 256 Ki; Newton-Schulz is compute-bound: no memory bound) and LBFGS
# (LBFGS_ELEMENTS = 1 M, history_size 10, each step a whole search from the same start on a
# diagonal quadratic, closure included: see
# Benchmarks/Optim/main.swift) run beside PyTorch's single-tensor step, its only one for them.
# SparseAdam has no row: it refuses dense gradients, and ckpt has none other.
#
# How it measures: every measurement is a process of its own (process start and array set-up
# are not timed; the first step, which creates the state, is not timed), printing STEPS step
# times; its figure is their median. RUNS (>= 7) rounds run every contender once, in an order
# rotated by one each round, so a disturbance hits contenders alike. The table shows min,
# median and max over the rounds (min: the tool's own cost on a quiet machine; median: what a
# user sees here), ratios of minima and of medians, and each figure as a share of the memory
# bound measured in the same run (its best thread count). Memory bound: bench-optim --contender
# bound, the same loads and stores as the step with its arithmetic replaced by a multiply-add
# (two patterns: two state buffers, 28 B/element; one, 20 B/element).
#
# usage: bash Benchmarks/Optim/run.sh   (ELEMENTS, STEPS, RUNS, THREADS, PEERS, OPTIMIZERS, TORCH_PYTHON, SKIP_BUILD pass through)
# BENCH_QUICK=1: a smoke test (1 M elements, 3 steps, 3 rounds, 1 thread; the figures mean nothing).
# With BENCH_RAW=DIR it leaves optim.ours / optim.peers there for Benchmarks/table.py, plus
# optim.samples (one line per measurement: contender optimizer threads, then its step times in s).
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ -n "${BENCH_QUICK:-}" ]; then
  ELEMENTS=${ELEMENTS:-1000000} STEPS=${STEPS:-3} RUNS=${RUNS:-3} THREADS=${THREADS:-1}
fi
ELEMENTS=${ELEMENTS:-10000000}
STEPS=${STEPS:-10}
RUNS=${RUNS:-7}
THREADS=${THREADS:-$(nproc 2>/dev/null || echo 1)}
# adafactor_matrix (Adafactor on one [N/1024, 1024] matrix) runs only when named in OPTIMIZERS.
OPTIMIZERS=${OPTIMIZERS:-adam adamw sgd_momentum adamax nadam radam adadelta asgd rprop adagrad rmsprop adafactor muon lbfgs}
MUON_ELEMENTS=${MUON_ELEMENTS:-262144}
LBFGS_ELEMENTS=${LBFGS_ELEMENTS:-1000000}
if [ -n "${BENCH_QUICK:-}" ]; then MUON_ELEMENTS=65536 LBFGS_ELEMENTS=100000; fi
elements_of() { case $1 in muon) echo "$MUON_ELEMENTS" ;; adafactor_matrix) echo $((ELEMENTS / 1024 * 1024)) ;; lbfgs) echo "$LBFGS_ELEMENTS" ;; *) echo "$ELEMENTS" ;; esac; }
PY=${TORCH_PYTHON:-python3}
PEERS=${PEERS:-fused foreach single}   # PyTorch settings to run (a shorter run: PEERS=fused)
BIN=.build/release/bench-optim
# SKIP_BUILD=1 runs the bench-optim already built (e.g. by `swift build -c release -Xswiftc -enable-testing`).
[ -n "${SKIP_BUILD:-}" ] && [ -x "$BIN" ] || swift build -c release --product bench-optim >/dev/null || { echo "bench-optim failed to build"; exit 1; }
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT

counts="1"; [ "$THREADS" -gt 1 ] && counts="1 $THREADS"
contenders=()
for opt in $OPTIMIZERS; do
  for t in $counts; do contenders+=("ckpt $opt $t"); done
done
# The two access patterns' bounds (bench-optim picks the pattern from the optimizer's name).
for t in $counts; do contenders+=("bound adam $t" "bound sgd_momentum $t"); done
if "$PY" -c "import torch" 2>/dev/null; then
  torch_version=$("$PY" -c "import torch; print(torch.__version__, torch.backends.cpu.get_cpu_capability())")
  for opt in $OPTIMIZERS; do
    case $opt in
      adam | adamw | sgd_momentum) impls=$PEERS ;;
      adagrad) impls=fused ;;
      muon | lbfgs) impls=single ;;
      *) impls=foreach ;;
    esac
    for t in $counts; do
      for impl in $impls; do contenders+=("torch-$impl $opt $t"); done
    done
  done
else
  torch_version=""
  echo "(PyTorch not installed for $PY: its rows are missing; set TORCH_PYTHON)"
fi

n=${#contenders[@]}
: > "$WORK/samples"
for ((r = 0; r < RUNS; r++)); do
  echo "round $((r + 1))/$RUNS ($n measurements)" >&2
  for ((k = 0; k < n; k++)); do
    read -r who opt t <<< "${contenders[$(((k + r) % n))]}"
    case $who in
      ckpt | bound) out=$("$BIN" --contender "$who" --optimizer "$opt" --threads "$t" --elements "$(elements_of "$opt")" --steps "$STEPS") ;;
      torch-*) out=$("$PY" Benchmarks/Optim/peers.py --impl "${who#torch-}" --optimizer "$opt" --threads "$t" --elements "$(elements_of "$opt")" --steps "$STEPS") ;;
    esac || { echo "($who $opt $t failed)" >&2; continue; }
    echo "$who $opt $t $(echo "$out" | sed -n 's/^step_seconds //p')" >> "$WORK/samples"
  done
done

python3 - "$WORK/samples" "$ELEMENTS" "$STEPS" "$RUNS" "$THREADS" "$torch_version" "${BENCH_RAW:-}" "$MUON_ELEMENTS" "$LBFGS_ELEMENTS" <<'EOF'
import os, statistics, sys
samples, n, steps, runs, threads, torch_version, raw, muon_n, lbfgs_n = sys.argv[1:]
n, threads = int(n), int(threads)
N_OF = {"muon": int(muon_n), "lbfgs": int(lbfgs_n)}   # the others: n
NAMES = {"adam": "Adam", "adamw": "AdamW", "sgd_momentum": "SGD momentum", "adamax": "Adamax", "nadam": "NAdam",
         "radam": "RAdam", "adadelta": "Adadelta", "asgd": "ASGD", "rprop": "Rprop", "adagrad": "Adagrad",
         "rmsprop": "RMSprop", "adafactor": "Adafactor", "adafactor_matrix": "Adafactor [N/1024, 1024]", "muon": "Muon", "lbfgs": "LBFGS"}
# Access pattern: two state buffers (the "adam" bound, 28 B/element) or one ("sgd_momentum", 20 B).
TWO = {"adam", "adamw", "adamax", "nadam", "radam", "adadelta", "rprop"}
NO_BOUND = {"muon", "lbfgs"}   # compute-bound (Muon) or closure-driven (LBFGS)
PATTERN = {o: (None if o in NO_BOUND else "adam" if o in TWO else "sgd_momentum") for o in NAMES}
BYTES = {o: (0 if o in NO_BOUND else 28 if o in TWO else 20) for o in NAMES}
t = {}
for line in open(samples):
    who, opt, th, *sec = line.split()
    if sec:
        t.setdefault((who, opt, int(th)), []).append(statistics.median(map(float, sec)))
# Elements per second: (min, median, max) over rounds; min comes from the slowest round.
def rate(key):
    s = t.get(key)
    if not s:
        return None
    m = N_OF.get(key[1], n)
    return (m / max(s), m / statistics.median(s), m / min(s))
def bound(opt):
    """The bound at its best thread count, by median (the same thread count for min and max)."""
    best = None
    if PATTERN[opt] is None:
        return None
    for th in sorted({k[2] for k in t}):
        r = rate(("bound", PATTERN[opt], th))
        if r and (best is None or r[1] > best[1][1]):
            best = (th, r)
    return best
def fastest(opt, th):
    """PyTorch's fastest CPU setting the optimizer offers: fused=True where it has it, else foreach=True."""
    for who in ("torch-fused", "torch-foreach", "torch-single" if opt in NO_BOUND else None):
        r = rate((who, opt, th))
        if r:
            return who, r
    return None, None
counts = sorted({k[2] for k in t})
opts = [o for o in NAMES if any(k[1] == o and k[0] == "ckpt" for k in t)]
print(f"{n:,} float32 elements (Muon: one [{N_OF['muon'] // 1024}, 1024] matrix; LBFGS: {N_OF['lbfgs']:,}); each figure: median of {steps} steps in a fresh process; min / median / max over {runs} rounds,")
print(f"contenders interleaved (order rotated each round); {threads} threads = all cores. PyTorch {torch_version or 'missing'}.")
print("M elem/s (higher is faster). 'of bound': median as a share of the memory bound's median (same access pattern,")
print("same run, its best thread count). Ratios: ckpt / peer, of the medians and (in brackets) of the best rounds.\n")
print("| optimizer | contender | threads | M elem/s min / median / max | of bound | ckpt at same threads / this |")
print("|---|---|---:|---|---:|---|")
def mfmt(r):
    return " / ".join(f"{x / 1e6:,.0f}" if x >= 1e7 else f"{x / 1e6:.3g}" for x in r)
for opt in opts:
    b = bound(opt)
    for who in ("ckpt", "torch-fused", "torch-foreach", "torch-single", "bound"):
        for th in counts:
            if who == "bound" and PATTERN[opt] is None:
                continue
            key = (who, PATTERN[opt] if who == "bound" else opt, th)
            r = rate(key)
            if r is None:
                continue
            share = f"{100 * r[1] / b[1][1]:.0f}%" if b else "-"
            ours = rate(("ckpt", opt, th))
            ratio = f"{ours[1] / r[1]:.2f}x ({ours[2] / r[2]:.2f}x)" if ours and who != "ckpt" else ""
            label = who if who != "bound" else f"memory bound ({BYTES[opt]} B/elem)"
            print(f"| {NAMES[opt]} | {label} | {th} | {mfmt(r)} | {share} | {ratio} |")
if not raw:
    sys.exit(0)
# Benchmarks/table.py reads, per optimizer: ckpt at all cores (`<opt>_elements_per_s`, median;
# `<opt>_best_elements_per_s`), PyTorch's fastest setting at all cores (peers:
# `<opt>_elements_per_s`, `<opt>_setting`), the memory bound of its pattern at its best thread
# count (`<opt>_bound_elements_per_s`, `<opt>_bound_best_elements_per_s`, `<opt>_bytes_per_element`).
# Extra keys carry every figure: <opt>_<contender>_t<threads>_{min,median,max}_elements_per_s.
ours, peers = [f"elements {n}", "optimizers " + " ".join(opts)], []
if torch_version:
    peers += [f"torch {torch_version.split()[0]}", f"cpu_capability {torch_version.split()[-1]}"]
for (who, opt, th) in sorted(t):
    r = rate((who, opt, th))
    dest = peers if who.startswith("torch") else ours
    for name, x in zip(("min", "median", "max"), r):
        dest.append(f"{opt}_{who.replace('-', '_')}_t{th}_{name}_elements_per_s {x}")
top = max(counts)
for opt in opts:
    r = rate(("ckpt", opt, top))
    if r:
        ours += [f"{opt}_elements_per_s {r[1]}", f"{opt}_best_elements_per_s {r[2]}", f"{opt}_bytes_per_element {BYTES[opt]}",
                 f"{opt}_elements {N_OF.get(opt, n)}"]
    who, p = fastest(opt, top)
    if p:
        peers += [f"{opt}_elements_per_s {p[1]}", f"{opt}_setting {who[len('torch-'):]}"]
    b = bound(opt)
    if b:
        ours += [f"{opt}_bound_elements_per_s {b[1][1]}", f"{opt}_bound_best_elements_per_s {b[1][2]}", f"{opt}_bound_threads {b[0]}"]
with open(os.path.join(raw, "optim.ours"), "w") as f:
    f.write("\n".join(ours) + "\n")
with open(os.path.join(raw, "optim.peers"), "w") as f:
    f.write("\n".join(peers) + "\n")
with open(samples) as src, open(os.path.join(raw, "optim.samples"), "w") as f:
    f.write(src.read())
EOF
