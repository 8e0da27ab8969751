// bench-optim: optimizer step throughput on one float32 parameter of N elements, single
// thread, beside a STREAM-triad bandwidth figure measured in the same run.
//
//   bench-optim [--elements N] [--steps S]
//
// Prints `key value` lines (Benchmarks/Optim/run.sh turns them into a table beside PyTorch's).
// Bytes per element (memory traffic of one fused pass, STREAM's counting: reads + writes):
//   SGD momentum: read p, g, buf; write p, buf = 20 B.  Adam: read p, g, m, v; write p, m, v = 28 B.
//   Triad a = b + s*c: read b, c; write a = 12 B as STREAM counts it, 16 B of actual traffic
//   (the cache line of `a` is read before it is written). The optimizers write only arrays they
//   have just read, so they have no such extra read: their bound uses the 16 B figure.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import Ckpt

var elements = 10_000_000
var steps = 10
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--elements": elements = Int(args.next() ?? "") ?? elements
    case "--steps": steps = Int(args.next() ?? "") ?? steps
    default:
        print("usage: bench-optim [--elements N] [--steps S]")
        exit(2)
    }
}

let clock = ContinuousClock()
func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// Median and best of `reps` timings of `body`.
func time(reps: Int, _ body: () throws -> Void) rethrows -> (median: Double, best: Double) {
    var t: [Double] = []
    for _ in 0..<reps {
        let start = clock.now
        try body()
        t.append(seconds(clock.now - start))
    }
    t.sort()
    return (t[t.count / 2], t[0])
}

func parameter() -> Parameter {
    let values = (0..<elements).map { Float($0 % 1000) * 1e-3 - 0.5 }
    let grad = (0..<elements).map { Float(($0 * 7) % 1000) * 1e-4 - 0.05 }
    return Parameter(name: "w", value: Tensor(shape: [elements], storage: values),
                     grad: Tensor(shape: [elements], storage: grad))
}

print("elements \(elements)")
print("steps \(steps)")
print("fma \(ckpt_cpu_has_fma())")

// STREAM triad.
do {
    var a = [Float](repeating: 0, count: elements)
    let b = [Float](repeating: 1, count: elements), c = [Float](repeating: 2, count: elements)
    let t = time(reps: steps) {
        a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeBufferPointer { cp in
                    ckpt_stream_triad(ap.baseAddress!, bp.baseAddress!, cp.baseAddress!, elements, 3)
                }
            }
        }
    }
    print("triad_stream_bytes_per_s \(Double(12 * elements) / t.best)")
    print("triad_traffic_bytes_per_s \(Double(16 * elements) / t.best)")
}

func bench(_ name: String, bytesPerElement: Int, _ make: (Parameter) throws -> Optimizer) throws {
    let p = parameter()
    let opt = try make(p)
    try opt.step()                       // creates the state (not timed)
    let t = try time(reps: steps) { try opt.step() }
    print("\(name)_elements_per_s \(Double(elements) / t.median)")
    print("\(name)_best_elements_per_s \(Double(elements) / t.best)")
    print("\(name)_bytes_per_element \(bytesPerElement)")
}

try bench("sgd_momentum", bytesPerElement: 20) { try SGD([$0], lr: 0.01, momentum: 0.9) }
try bench("adam", bytesPerElement: 28) { try Adam([$0]) }
