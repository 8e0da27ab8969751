// bench-io: ckpt's side of the IO benchmark, ONE operation per process (Benchmarks/IO/driver.py
// starts a fresh process for every save and every load, beside the Python peers in peers.py).
//
//   bench-io --op save|load|start --format ckpt|ckpt-noverify|swift-raw|ckpt-pt|ckpt-of-torch --path P
//            --tensors N --elements E [--source RAW] [--sync] [--prime BYTES]
//
// save: reads the state (N float32 tensors of E elements, names "layer{i}.weight") from the
// driver's raw file RAW (untimed), then times only the save: `CheckpointFile.save` (`--sync`:
// durable, i.e. fsync of the file and of its directory; without: page cache only) or plain
// write() of the same bytes (`--sync`: then fsync of the file). load: times reading the whole
// state into memory, `CheckpointFile.load` verifying every checksum (ckpt-noverify: without)
// or read() into one buffer per tensor. ckpt-pt: `TorchSave.write` / `CheckpointFile.load` of a
// torch.save file ckpt wrote; ckpt-of-torch: `CheckpointFile.load` of torch.save's own file. start: does nothing (the driver times the process).
// --prime: touches and frees BYTES of memory in huge pages right before the timed part
// (untimed; see driver.py). Prints `seconds <s>`.
//
//   bench-io --write-sample PATH [--pause-mid-save MARKER]
//       (test helper: saves a small fixed checkpoint to PATH; with --pause-mid-save, creates
//       MARKER once /model is written and sleeps 60 s there, so a test can kill the save)
#if canImport(Glibc)
import Glibc
#endif
import Ckpt

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func fail(_ message: String) -> Never {
    fputs("bench-io: \(message)\n", stderr)
    exit(2)
}

// As every ckpt command does first: OpenBLAS's idle worker would spin on the second core.
Compute.pinBLAS()
let args = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

if let sample = option("--write-sample") {
    // A small deterministic checkpoint (used by the crash-safety test, which kills us mid-save).
    var model = StateDict()
    for i in 0..<4 {
        model["layer\(i).weight"] = .tensor(TensorData(shape: [256, 256], storage: .float32((0..<65536).map { Float($0 % 97) + Float(i) })))
    }
    var hooks = SaveHooks.none
    if let marker = option("--pause-mid-save") {
        hooks.onStep = { step, _ in
            guard step == .contentPartlyWritten else { return }
            let fd = open(marker, O_CREAT | O_WRONLY, 0o644)
            if fd >= 0 { close(fd) }
            sleep(60)
        }
    }
    do { try CheckpointFile.save(Checkpoint(model: model), to: sample, hooks: hooks) } catch { fail("\(error)") }
    exit(0)
}

guard let op = option("--op"), let format = option("--format") else {
    fail("usage: bench-io --op save|load|start --format ckpt|ckpt-noverify|swift-raw|ckpt-pt|ckpt-of-torch --path P --tensors N --elements E [--source RAW] [--sync]")
}
if op == "start" {
    print("seconds 0")
    exit(0)
}
guard let path = option("--path"), let tensors = Int(option("--tensors") ?? ""), let elements = Int(option("--elements") ?? ""),
      tensors > 0, elements > 0
else { fail("--path, --tensors and --elements are required") }
let sync = args.contains("--sync")

/// Reads exactly `count` bytes at the descriptor's offset into `base`.
func readAll(_ fd: Int32, _ base: UnsafeMutableRawPointer, _ count: Int) {
    var off = 0
    while off < count {
        let r = read(fd, base + off, count - off)
        if r < 0, errno == EINTR { continue }
        if r <= 0 { fail("read \(count) bytes: \(r < 0 ? String(cString: strerror(errno)) : "end of file")") }
        off += r
    }
}

/// One [Float] per tensor, filled by read(): what a plain reader of the bytes has to do.
func readTensors(_ file: String) -> [[Float]] {
    let fd = open(file, O_RDONLY)
    guard fd >= 0 else { fail("open \(file): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    return (0..<tensors).map { _ in
        [Float](unsafeUninitializedCapacity: elements) { buf, n in
            // Huge pages for large buffers, as numpy and CheckpointFile.load ask for them.
            let huge = 2 << 20, base = Int(bitPattern: buf.baseAddress!)
            let start = (base + huge - 1) & ~(huge - 1), end = (base + elements * 4) & ~(huge - 1)
            if end > start { madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
            readAll(fd, buf.baseAddress!, elements * 4)
            n = elements
        }
    }
}

func rawWrite(_ model: [[Float]]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("open \(path): \(String(cString: strerror(errno)))") }
    for v in model {
        v.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { fail("write \(path)") }
                off += n
            }
        }
    }
    if sync, fsync(fd) != 0 { fail("fsync \(path)") }
    close(fd)
}

/// The clock at the start of the timed part, after `--prime`'s untimed touch of fresh memory.
func start() -> Double {
    if let n = Int(option("--prime") ?? ""), n > 0,
       let m = mmap(nil, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), m != MAP_FAILED {
        _ = madvise(m, n, MADV_HUGEPAGE)
        for i in stride(from: 0, to: n, by: 4096) { m.storeBytes(of: 1, toByteOffset: i, as: UInt8.self) }
        munmap(m, n)
    }
    return now()
}

var loaded = 0
let seconds: Double
do {
    switch (op, format) {
    case ("save", "ckpt-pt"):
        guard let source = option("--source") else { fail("save needs --source") }
        var model = StateDict()
        for (i, a) in readTensors(source).enumerated() { model["layer\(i).weight"] = .tensor(TensorData(shape: [elements], storage: .float32(a))) }
        let t0 = start()
        try TorchSave.write(Checkpoint(model: model), to: path, durable: sync)
        seconds = now() - t0
    case ("load", "ckpt-pt"), ("load", "ckpt-of-torch"):
        let t0 = start()
        let c = try CheckpointFile.load(path)
        seconds = now() - t0
        loaded = c.model.count
    case ("save", "ckpt"), ("save", "swift-raw"):
        guard let source = option("--source") else { fail("save needs --source") }
        let arrays = readTensors(source)
        if format == "swift-raw" {
            let t0 = start()
            rawWrite(arrays)
            seconds = now() - t0
        } else {
            var model = StateDict()
            for (i, a) in arrays.enumerated() { model["layer\(i).weight"] = .tensor(TensorData(shape: [elements], storage: .float32(a))) }
            let checkpoint = Checkpoint(model: model)
            let t0 = start()
            try CheckpointFile.save(checkpoint, to: path, durable: sync)
            seconds = now() - t0
        }
    case ("load", "ckpt"), ("load", "ckpt-noverify"):
        let t0 = start()
        let c = try CheckpointFile.load(path, verifyChecksums: format == "ckpt")
        seconds = now() - t0
        loaded = c.model.count
    case ("load", "swift-raw"):
        let t0 = start()
        let arrays = readTensors(path)
        seconds = now() - t0
        loaded = arrays.count
    default:
        print("missing bench-io has no \(op) for \(format)")
        exit(0)
    }
} catch {
    fail("\(error)")
}
if op == "load", loaded != tensors { fail("loaded \(loaded) tensors, expected \(tensors)") }
print("seconds \(seconds)")
