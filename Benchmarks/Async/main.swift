// bench-async: the training stall per checkpoint of a synchronous save, of an async save
// (`AsyncCheckpointSaver`), and of a plain memcpy of the same bytes, on LeNet and on an MLP
// whose state (weights + SGD momentum) is about 1 GiB.
//
// For each model and mode, trains `--steps` steps and saves every `--every` steps into a
// scratch directory. The stall of one checkpoint is the time of the save call (sync: the whole
// write; async: the snapshot and the hand-off, the previous write having ended) plus what
// the next step takes beyond the median step without a save (a copy-on-write copy of any
// buffer the save would still share). "tree" is the part of the save call spent in
// `run.checkpoint()` (building the StateValue tree of references to the live buffers), "call"
// the save call alone (the stall without the next step's excess). For an async save the
// next step is compared with the other steps that overlap the write (not with the steps
// without one): its excess over them is the save's, the rest is "overlap".
// stall_ms and call_ms are medians over the saves after the first (whose snapshot buffers
// are new: first_ms); stall_min / stall_max their range. memcpy (the baseline) trains the
// same way and at each save point copies every tensor into buffers kept from the previous
// save point, timed like a save (the copy, plus the next step's excess): the time of copying
// the state in memory where a training loop takes its snapshot. hot_loop_* is the same copy
// repeated 5 times back to back (source and buffers hot in cache), for reference. "overlap"
// is the median step time while a write is in flight over the median step time without one.
// Prints one line per (model, mode):
//   ckpt model=M mode=sync|async|memcpy state_bytes=B stall_ms=X overlap=Y tree_ms=T call_ms=C
// usage: bench-async [--models lenet mlp] [--steps 24] [--every 4] [--mlp-hidden 40960]
import Ckpt
import Foundation
// As every ckpt command does first: OpenBLAS's idle worker would spin on the other core.
Compute.pinBLAS()

func option(_ name: String, _ def: [String]) -> [String] {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name) else { return def }
    return Array(args[(i + 1)...].prefix { !$0.hasPrefix("--") })
}

let models = option("--models", ["lenet", "mlp"])
let steps = Int(option("--steps", ["24"])[0])!
let every = Int(option("--every", ["4"])[0])!
// 3072 x 40960 weights: 126 M parameters, 0.5 GiB, plus as much SGD momentum: ~1 GiB of state.
let hidden = Int(option("--mlp-hidden", ["40960"])[0])!
/// Tensors of the last async save that needed a new snapshot buffer (0: all reused).
nonisolated(unsafe) var newBuffers = 0
/// The last async save's copy into the snapshot (part of "call").
nonisolated(unsafe) var captureMs = 0.0
/// Live buffers of 64 KiB or more that the step after a save had to copy (copy-on-write,
/// counted by address; a buffer whose size changed is not a copy).
nonisolated(unsafe) var cowCopies: [Int] = []
/// Stall of the first save (new snapshot buffers) and the min / max of the later ones.
nonisolated(unsafe) var spread = (first: 0.0, min: 0.0, max: 0.0, count: 0)

/// The base address and size of every tensor of the run's state.
func addresses(_ run: Run) -> [(UnsafeRawPointer?, Int)] {
    tensors(run.checkpoint()).map { t in t.withUnsafeBytes { ($0.baseAddress, $0.count) } }
}

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

/// Every tensor of the checkpoint's sections, in walk order (the one walker, `StateDict.tensors`).
func tensors(_ c: Checkpoint) -> [TensorData] {
    c.sections.flatMap { $0.dict.tensors(root: $0.name).map(\.tensor) }
}

/// Bytes of every tensor in the checkpoint's sections.
func stateBytes(_ c: Checkpoint) -> Int { tensors(c).reduce(0) { $0 + $1.byteCount } }

/// The least an in-memory snapshot costs: one memcpy of every tensor's bytes into buffers
/// allocated and touched beforehand (as the async saver's reused snapshot buffers are), so
/// neither allocation nor page faults are counted. Returns the min, median and max of 5 copies.
func memcpyState(_ c: Checkpoint) -> (min: Double, median: Double, max: Double) {
    var times: [Double] = []
    for _ in 0..<6 {
        var t0 = 0.0
        copyState(c, clockStart: &t0)
        times.append(now() - t0)
    }
    times.removeFirst()  // the first copy allocates and touches the buffers
    return (times.min()!, median(times), times.max()!)
}

/// How a checkpoint is taken at a save point: written synchronously, handed to the async
/// saver, or only copied into buffers kept from the previous save (the baseline: what a
/// snapshot costs at that point of the training loop, caches as the step left them).
enum Mode: String { case sync, async, memcpy }

/// The memcpy baseline's buffers, one per tensor, kept from one save point to the next.
nonisolated(unsafe) var copies: [[UInt8]] = []

/// Copies every tensor of `c` into `copies` (new buffers only at the first save or when a
/// size changed, as the snapshot does). The tensors are listed before the clock starts: the
/// baseline is the copy alone, without finding the tensors.
func copyState(_ c: Checkpoint, clockStart: inout Double) {
    let ts = tensors(c)
    if copies.count != ts.count { copies = Array(repeating: [], count: ts.count) }
    for (i, t) in ts.enumerated() where copies[i].count != t.byteCount {
        copies[i] = [UInt8](repeating: 1, count: t.byteCount)
    }
    clockStart = now()
    for (i, t) in ts.enumerated() {
        t.withUnsafeBytes { src in
            copies[i].withUnsafeMutableBytes { dst in
                if src.count > 0 { memcpy(dst.baseAddress!, src.baseAddress!, src.count) }
            }
        }
    }
}

func bench(model: String, mode: Mode) throws -> (stall: Double, overlap: Double, bytes: Int, tree: Double, call: Double) {
    let async = mode == .async
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
    var plain: [Double] = [], overlapping: [Double] = [], saves: [Double] = [], after: [Double] = [], trees: [Double] = []
    var bytes = 0
    for i in 1...steps {
        if i % every == 0 {
            // The stall of a save, not the back-pressure of a disk slower than the checkpoint
            // rate: the previous write is waited for outside the timed part.
            try saver.wait()
            let before = addresses(run)
            var t0 = now()
            // A function, so the checkpoint (which shares the live buffers) is gone before
            // the next step, as in the trainer.
            func save() throws {
                let c = run.checkpoint()
                trees.append(now() - t0)
                if mode == .memcpy {
                    copyState(c, clockStart: &t0)
                    trees[trees.count - 1] = 0
                } else if async {
                    try saver.save(consume c, to: "\(dir)/step-\(i).h5")
                } else {
                    try CheckpointFile.save(c, to: "\(dir)/step-\(i).h5")
                }
            }
            try save()
            saves.append(now() - t0)
            after.append(try step())
            // Tensors of 64 KiB or more only: small ones (the loss and lr history) are rebuilt
            // by every state_dict() call, so their address says nothing about sharing.
            let moved = zip(before, addresses(run)).filter { $0.1 == $1.1 && $0.1 >= 64 << 10 && $0.0 != $1.0 }.count
            if async { cowCopies.append(moved) }
            if bytes == 0 { bytes = stateBytes(run.checkpoint()) }
        } else {
            let inFlight = saver.inFlight.map { !$0.isFinished } ?? false
            let t = try step()
            if inFlight { overlapping.append(t) } else { plain.append(t) }
        }
    }
    try saver.wait()
    let base = median(plain)
    // The step after an async save also overlaps the write: what it takes beyond the other
    // overlapping steps is the save's (a copy-on-write copy of shared buffers); the rest is
    // the overlap slowdown, reported apart as "overlap".
    let reference = async && !overlapping.isEmpty ? max(base, median(overlapping)) : base
    let all = zip(saves, after).map { $0 + max(0, $1 - reference) }
    // The first save allocates the snapshot's buffers (page faults); the later ones reuse them
    // (the steady state, reported as stall_ms).
    let stalls = all.count > 1 ? Array(all.dropFirst()) : all
    spread = (all[0], stalls.min()!, stalls.max()!, stalls.count)
    if async { (newBuffers, captureMs) = (saver.lastSnapshot.newBuffers, saver.lastSnapshot.seconds * 1000) }
    let calls = saves.count > 1 ? Array(saves.dropFirst()) : saves
    return (median(stalls), overlapping.isEmpty ? 1 : median(overlapping) / base, bytes, median(trees), median(calls))
}

func ms(_ s: Double) -> String { String(format: "%.3f", s * 1000) }

for model in models {
    for mode in [Mode.sync, .async, .memcpy] {
        let async = mode == .async
        let r = try bench(model: model, mode: mode)
        if mode == .memcpy {
            // Also the same copy repeated in a tight loop (source and buffers hot in cache):
            // a lower bound no training loop meets, shown for reference.
            let run = try Run(config: config(model))
            var batches = run.remainingBatches().makeIterator()
            if let b = batches.next() { try run.trainStep(b) }
            let t = memcpyState(run.checkpoint())
            print("ckpt model=\(model) mode=memcpy state_bytes=\(r.bytes) stall_ms=\(ms(r.stall)) overlap=1.00 tree_ms=0 call_ms=\(ms(r.call)) stall_min=\(ms(spread.min)) stall_max=\(ms(spread.max)) saves=\(spread.count) hot_loop_min=\(ms(t.min)) hot_loop_median=\(ms(t.median))")
            continue
        }
        print("ckpt model=\(model) mode=\(mode.rawValue) state_bytes=\(r.bytes) stall_ms=\(ms(r.stall)) overlap=\(String(format: "%.2f", r.overlap)) tree_ms=\(String(format: "%.3f", r.tree * 1000)) call_ms=\(ms(r.call)) first_ms=\(ms(spread.first)) stall_min=\(ms(spread.min)) stall_max=\(ms(spread.max)) saves=\(spread.count)\(async ? " new_buffers=\(newBuffers) capture_ms=\(String(format: "%.3f", captureMs)) cow_copies=\(cowCopies.last ?? -1)" : "")")
    }
}
