// bench-optim: one contender's optimizer step on one float32 parameter of N elements, in a
// process of its own (Benchmarks/Optim/run.sh runs one process per measurement, contenders interleaved,
// beside PyTorch's Benchmarks/Optim/peers.py, which prints the same lines).
//
//   bench-optim --contender ckpt|bound --optimizer <name> [--threads T] [--elements N] [--steps S]
//
// <name>: adam, adamw, sgd_momentum, adamax, nadam, radam, adadelta, asgd, rprop, adagrad,
// rmsprop, adafactor (the element-wise optimizers), adafactor_matrix, muon and lbfgs.
// adafactor_matrix is Adafactor on one [N / 1024, 1024] matrix (factored second moments; its
// bound is the one-buffer pattern's, though it streams no state). Muon steps one matrix of
// [N / 1024, 1024] (Newton-Schulz: compute-bound, so no memory bound is timed for it). LBFGS
// steps PyTorch's defaults (max_iter 20, history_size 100 → 10 here, to keep N-element history
// in memory) through a closure returning a diagonal quadratic's loss and gradient
// (0.5 Σ c_i p_i², c_i = 1 + i mod 10; the same in peers.py), each step from the same start
// with a fresh optimizer (its set-up, a few allocations, inside the time), so the figure is a
// whole search (closure_calls evaluations, printed) including the closure's own cost. SparseAdam has no row: it refuses dense gradients (PyTorch too), and
// ckpt has no sparse ones.
// `ckpt` times `Optimizer.step()` with `threads = T`. `bound` times the memory-bound reference
// for the optimizer's access pattern (ckpt_bound_adam / ckpt_bound_sgd: the loads and stores of
// the step with one multiply-add per array in place of its arithmetic), cut into the same
// chunks on T threads: what memory allows. The first step (state creation, first touch of
// every page) is not timed; then S steps are. Prints `key value` lines: the S step times in
// seconds, in order (`step_seconds`), and the bytes of memory traffic per element: 28 B for
// two state buffers (read p, g and both, write p and both: Adam, AdamW, Adamax, NAdam,
// RAdam, Adadelta, Rprop), 20 B for one (SGD with momentum, ASGD, Adagrad, RMSprop, and
// Adafactor on a vector, whose extra passes over its update are not counted).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import Ckpt

/// Each optimizer as the benchmark builds it (PyTorch's defaults unless the step needs more),
/// with the number of state buffers its step streams.
let optimizers: [String: (buffers: Int, make: ([Parameter]) throws -> Optimizer)] = [
    "adam": (2, { try Adam($0) }), "adamw": (2, { try AdamW($0) }),
    "sgd_momentum": (1, { try SGD($0, lr: 0.01, momentum: 0.9) }),
    "adamax": (2, { try Adamax($0) }), "nadam": (2, { try NAdam($0) }), "radam": (2, { try RAdam($0) }),
    "adadelta": (2, { try Adadelta($0) }), "asgd": (1, { try ASGD($0) }), "rprop": (2, { try Rprop($0) }),
    "adagrad": (1, { try Adagrad($0) }), "rmsprop": (1, { try RMSprop($0) }), "adafactor": (1, { try Adafactor($0) }),
    "adafactor_matrix": (1, { try Adafactor($0) }),
    "muon": (1, { try Muon($0) }), "lbfgs": (0, { try LBFGS($0, historySize: 10) }),
]

var contender = "ckpt", optimizer = "adam"
var threads = 1, elements = 10_000_000, steps = 10
var args = CommandLine.arguments.dropFirst().makeIterator()
func usage() -> Never {
    print("usage: bench-optim --contender ckpt|bound --optimizer \(optimizers.keys.sorted().joined(separator: "|")) [--threads T] [--elements N] [--steps S]")
    exit(2)
}
while let a = args.next() {
    let value = args.next() ?? ""
    switch a {
    case "--contender": contender = value
    case "--optimizer": optimizer = value
    case "--threads": threads = Int(value) ?? 0
    case "--elements": elements = Int(value) ?? 0
    case "--steps": steps = Int(value) ?? 0
    default: usage()
    }
}
guard ["ckpt", "bound"].contains(contender), let chosen = optimizers[optimizer],
      threads >= 1, elements >= 1, steps >= 1 else { usage() }
// Muon takes a matrix; neither it nor LBFGS has a memory-bound pattern to time.
let matrix = optimizer == "muon" || optimizer == "adafactor_matrix"
guard !matrix || elements % 1024 == 0 else { usage() }
guard contender == "ckpt" || chosen.buffers > 0 && optimizer != "muon" else { usage() }

let clock = ContinuousClock()
func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// Runs `body` once untimed, then `steps` times, and returns each timed run's seconds.
func time(_ body: () throws -> Void) rethrows -> [Double] {
    try body()
    return try (0..<steps).map { _ in
        let start = clock.now
        try body()
        return seconds(clock.now - start)
    }
}

// The same values as Benchmarks/Optim/peers.py.
let values = (0..<elements).map { Float($0 % 1000) * 1e-3 - 0.5 }
let grad = (0..<elements).map { Float(($0 * 7) % 1000) * 1e-4 - 0.05 }
let times: [Double]
/// LBFGS: closure evaluations in all steps, untimed first included (convergence decides how many).
var closureCalls = 0
switch contender {
case "ckpt":
    let shape = matrix ? [elements / 1024, 1024] : [elements]
    let p = Parameter(name: "w", value: Tensor(shape: shape, storage: values),
                      grad: Tensor(shape: shape, storage: grad))
    let opt = try chosen.make([p])
    opt.threads = threads
    if opt is LBFGS {
        // Each timed step starts fresh (new optimizer, the same start values): a step from a
        // converged state would exit after one evaluation and time only the closure.
        let curvature = (0..<elements).map { Float(1 + $0 % 10) }
        var lbfgs = opt as! LBFGS
        times = try time {
            p.value = Tensor(shape: shape, storage: values)
            lbfgs = try chosen.make([p]) as! LBFGS
            lbfgs.threads = threads
            _ = try lbfgs.step {
                closureCalls += 1
                var g = [Float](repeating: 0, count: elements)
                var loss = 0.0
                p.value.storage.withUnsafeBufferPointer { w in
                    for i in 0..<elements {
                        g[i] = curvature[i] * w[i]
                        loss += 0.5 * Double(g[i] * w[i])
                    }
                }
                p.grad = Tensor(shape: shape, storage: g)
                return loss
            }
        }
    } else {
        times = try time { try opt.step() }
    }
default:
    var p = values, m = [Float](repeating: 0, count: elements), v = m
    let twoBuffers = chosen.buffers == 2
    times = time {
        p.withUnsafeMutableBufferPointer { pp in
            grad.withUnsafeBufferPointer { gp in
                m.withUnsafeMutableBufferPointer { mp in
                    v.withUnsafeMutableBufferPointer { vp in
                        let (p0, g0, m0, v0) = (pp.baseAddress!, gp.baseAddress!, mp.baseAddress!, vp.baseAddress!)
                        KernelSplit.forEachChunk(elements, threads: threads) { i, c in
                            if twoBuffers { ckpt_bound_adam(p0 + i, g0 + i, m0 + i, v0 + i, c) }
                            else { ckpt_bound_sgd(p0 + i, g0 + i, m0 + i, c) }
                        }
                    }
                }
            }
        }
    }
}
print("contender \(contender)")
print("optimizer \(optimizer)")
print("threads \(threads)")
print("elements \(elements)")
print("bytes_per_element \(chosen.buffers == 2 ? 28 : chosen.buffers == 1 ? 20 : 0)")
print("fma \(ckpt_cpu_has_fma())")
if optimizer == "lbfgs" { print("closure_calls \(closureCalls)") }
print("step_seconds \(times.map { String($0) }.joined(separator: " "))")
