// bench-async: the training stall per checkpoint of a synchronous save, of an async save
// (`AsyncCheckpointSaver`), and of a plain memcpy of the same bytes, on LeNet and on an MLP
// whose state (weights + SGD momentum) is about 1 GiB.
//
// For each model and mode, trains `--steps` steps and saves every `--every` steps into a
// scratch directory. The stall of one checkpoint is the time of the save call (sync: the whole
// write; async: the snapshot and the hand-off, the previous write having ended) plus what
// the next step takes beyond the median step without a save (the copy-on-write copy of the
// buffers the save still holds). "overlap" is the median step time while a write is in flight
// over the median step time without one. Prints one line per (model, mode):
//   ckpt model=M mode=sync|async|memcpy state_bytes=B stall_ms=X overlap=Y
// usage: bench-async [--models lenet mlp] [--steps 12] [--every 4] [--mlp-hidden 40960]
import Ckpt
import Foundation

func option(_ name: String, _ def: [String]) -> [String] {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name) else { return def }
    return Array(args[(i + 1)...].prefix { !$0.hasPrefix("--") })
}

let models = option("--models", ["lenet", "mlp"])
let steps = Int(option("--steps", ["12"])[0])!
let every = Int(option("--every", ["4"])[0])!
// 3072 x 40960 weights: 126 M parameters, 0.5 GiB, plus as much SGD momentum: ~1 GiB of state.
let hidden = Int(option("--mlp-hidden", ["40960"])[0])!

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    return s[s.count / 2]
}

func config(_ model: String) throws -> RunConfig {
    let m = model == "lenet" ? #"{"type": "lenet"}"# : #"{"type": "mlp", "sizes": [3072, \#(hidden), 10]}"#
    return try RunConfig(json: """
        {"model": \(m), "data": {"dataset": "synthetic", "train_size": 512, "test_size": 0, "batch_size": 8},
         "optimizer": {"type": "SGD", "lr": 0.001, "momentum": 0.9}, "scheduler": null, "epochs": 1000}
        """)
}

/// Bytes of every tensor in the checkpoint's sections.
func stateBytes(_ c: Checkpoint) -> Int {
    var total = 0
    func walk(_ v: StateValue) {
        switch v {
        case .tensor(let t): total += t.withUnsafeBytes { $0.count }
        case .dict(let d): d.entries.values.forEach(walk)
        case .list(let l), .tuple(let l): l.forEach(walk)
        default: break
        }
    }
    for s in [c.model, c.optimizer, c.scheduler, c.progress, c.rng].compactMap({ $0 }) { walk(.dict(s)) }
    return total
}

/// A copy of every tensor's bytes: the least an in-memory snapshot costs.
func memcpyState(_ c: Checkpoint) -> Double {
    var buffers: [[UInt8]] = []
    let t0 = now()
    func walk(_ v: StateValue) {
        switch v {
        case .tensor(let t): buffers.append(t.withUnsafeBytes { Array($0) })
        case .dict(let d): d.entries.values.forEach(walk)
        case .list(let l), .tuple(let l): l.forEach(walk)
        default: break
        }
    }
    for s in [c.model, c.optimizer].compactMap({ $0 }) { walk(.dict(s)) }
    let t = now() - t0
    withExtendedLifetime(buffers) {}
    return t
}

func bench(model: String, async: Bool) throws -> (stall: Double, overlap: Double, bytes: Int) {
    let dir = NSTemporaryDirectory() + "bench-async-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let run = try Run(config: config(model))
    let saver = AsyncCheckpointSaver()
    var batches = run.remainingBatches().makeIterator()
    func step() throws -> Double {
        if let b = batches.next() {
            let t0 = now()
            try run.trainStep(b)
            return now() - t0
        }
        try run.endEpoch()
        batches = run.remainingBatches().makeIterator()
        return try step()
    }
    _ = try step()  // optimizer state exists from here on
    var plain: [Double] = [], overlapping: [Double] = [], saves: [Double] = [], after: [Double] = []
    var bytes = 0
    for i in 1...steps {
        if i % every == 0 {
            // The stall of a save, not the back-pressure of a disk slower than the checkpoint
            // rate: the previous write is waited for outside the timed part.
            try saver.wait()
            let t0 = now()
            let c = run.checkpoint()
            bytes = stateBytes(c)
            if async {
                try saver.save(c, to: "\(dir)/step-\(i).h5")
            } else {
                try CheckpointFile.save(c, to: "\(dir)/step-\(i).h5")
            }
            saves.append(now() - t0)
            after.append(try step())
        } else {
            let inFlight = saver.inFlight.map { !$0.isFinished } ?? false
            let t = try step()
            if inFlight { overlapping.append(t) } else { plain.append(t) }
        }
    }
    try saver.wait()
    let base = median(plain)
    let stalls = zip(saves, after).map { $0 + max(0, $1 - base) }
    return (median(stalls), overlapping.isEmpty ? 1 : median(overlapping) / base, bytes)
}

for model in models {
    var memcpyBytes = 0
    for async in [false, true] {
        let r = try bench(model: model, async: async)
        memcpyBytes = r.bytes
        print("ckpt model=\(model) mode=\(async ? "async" : "sync") state_bytes=\(r.bytes) stall_ms=\(String(format: "%.2f", r.stall * 1000)) overlap=\(String(format: "%.2f", r.overlap))")
    }
    let run = try Run(config: config(model))
    var batches = run.remainingBatches().makeIterator()
    if let b = batches.next() { try run.trainStep(b) }
    let c = run.checkpoint()
    let t = median((0..<5).map { _ in memcpyState(c) })
    print("ckpt model=\(model) mode=memcpy state_bytes=\(memcpyBytes) stall_ms=\(String(format: "%.2f", t * 1000)) overlap=1.00")
}
