// bench-train: images/s training the seed's LeNet (forward, CrossEntropyLoss, backward,
// SGD lr=0.001 momentum=0.9 written inline, zero-grad) on synthetic 32x32x3 data.
// Prints one line per (threads, batch): `ckpt threads=T batch=B images_per_s=X`, the same
// format as Benchmarks/Train/peers.py.
// usage: bench-train [--threads 1 2] [--batches 4 64] [--seconds 3 | --steps N]
import CkptCore
import Foundation
// As every ckpt command does first: OpenBLAS's idle worker would spin on the other core.
Compute.pinBLAS()

func option(_ name: String, _ def: [Double]) -> [Double] {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name) else { return def }
    return args[(i + 1)...].prefix { !$0.hasPrefix("--") }.compactMap(Double.init)
}

let threads = option("--threads", [1, 2]).map(Int.init)
let batches = option("--batches", [4, 64]).map(Int.init)
let seconds = option("--seconds", [3])[0]
// --steps N: run exactly N timed steps (for profilers such as callgrind) instead of --seconds.
let fixedSteps = option("--steps", []).first.map(Int.init)

// BENCH_CPU_TIME=1 times with the process's CPU clock instead of the wall clock: steadier on a
// loaded machine (the reported figures should still be wall-clock, from a quiet machine).
let clock = ProcessInfo.processInfo.environment["BENCH_CPU_TIME"] == "1" ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC

func now() -> Double {
    var t = timespec()
    clock_gettime(clock, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func run(batch: Int) throws -> Double {
    let model = LeNet(seed: 0)
    let params = model.parameters()
    var momentum: [[Float]?] = params.map { _ in nil }
    let lr: Float = 0.001, mu: Float = 0.9
    let n = batch < 64 ? 1024 : 4096
    var g = RandomGenerator(seed: 1)
    let data = Tensor(shape: [n, 3, 32, 32], storage: (0..<(n * 3072)).map { _ in g.uniform(-1, 1) })
    let labels = (0..<n).map { _ in Int32(g.nextInt(below: 10)) }
    let dataset = Dataset(images: data, labels: labels, source: "bench")
    let batchesPerEpoch = Batches(dataset, batchSize: batch, shuffle: false, seed: 0, epoch: 0)
    let all = Array(batchesPerEpoch)

    func steps(_ k: Int, _ start: Int) throws {
        for i in 0..<k {
            let b = all[(start + i) % all.count]
            for p in params { p.grad = nil }
            _ = try model.forwardBackward(images: b.images, labels: b.labels)
            for (j, p) in params.enumerated() {
                guard let gr = p.grad else { continue }
                if momentum[j] == nil {
                    momentum[j] = gr.storage
                } else {
                    momentum[j]!.withUnsafeMutableBufferPointer { m in
                        gr.storage.withUnsafeBufferPointer { gp in
                            for e in 0..<m.count { m[e] = m[e] * mu + gp[e] }
                        }
                    }
                }
                p.value.storage.withUnsafeMutableBufferPointer { w in
                    momentum[j]!.withUnsafeBufferPointer { m in
                        for e in 0..<w.count { w[e] -= lr * m[e] }
                    }
                }
            }
        }
    }

    try steps(20, 0)
    if let fixedSteps {
        let t0 = now()
        try steps(fixedSteps, 0)
        return Double(fixedSteps * batch) / (now() - t0)
    }
    var best = 0.0
    var pos = 0
    for _ in 0..<3 {
        let t0 = now()
        var done = 0
        while now() - t0 < seconds / 3 {
            try steps(10, pos)
            pos += 10
            done += 10
        }
        best = max(best, Double(done * batch) / (now() - t0))
    }
    return best
}

for t in threads {
    Compute.threads = t
    for b in batches {
        print("ckpt threads=\(t) batch=\(b) images_per_s=\(String(format: "%.0f", try run(batch: b)))")
        fflush(stdout)
    }
}
