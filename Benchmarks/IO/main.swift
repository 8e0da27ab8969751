// bench-io: saves and loads a state of float32 tensors with CheckpointFile and, as the
// in-process reference, with plain sequential write()/read() of the same bytes.
// bench/io.sh runs this beside bench/io_peers.py (h5py, torch.save, safetensors) and prints
// one table. Each figure is the best of --repeat runs; "sync" runs fsync the file (and for
// CheckpointFile the directory), "nosync" runs measure page-cache throughput.
//
//   bench-io [--mib 1024] [--tensors 64] [--repeat 3] [--dir DIR]
//   bench-io --write-sample PATH [--pause-mid-save MARKER]
//       (test helper: saves a small fixed checkpoint to PATH; with --pause-mid-save, creates
//       MARKER once /model is written and sleeps 60 s there, so a test can kill the save)
#if canImport(Glibc)
import Glibc
#endif
import Ckpt
@_spi(Testing) import CkptFormat

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func best(_ times: Int, _ body: () throws -> Void) rethrows -> Double {
    var b = Double.infinity
    for _ in 0..<times {
        let t0 = now()
        try body()
        b = min(b, now() - t0)
    }
    return b
}

func fail(_ message: String) -> Never {
    fputs("bench-io: \(message)\n", stderr)
    exit(2)
}

var args = Array(CommandLine.arguments.dropFirst())
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

let mib = Int(option("--mib") ?? "1024") ?? 1024
let tensors = Int(option("--tensors") ?? "64") ?? 64
let repeats = Int(option("--repeat") ?? "3") ?? 3
let dir = option("--dir") ?? ".build/bench-io"
mkdir(dir, 0o755)

let perTensor = mib * 1024 * 1024 / 4 / tensors
var model = StateDict()
var seed: UInt32 = 1
for i in 0..<tensors {
    model["layer\(i).weight"] = .tensor(TensorData(shape: [perTensor], storage: .float32((0..<perTensor).map { _ in
        seed = seed &* 1664525 &+ 1013904223
        return Float(Int32(bitPattern: seed)) / Float(Int32.max)
    })))
}
let checkpoint = Checkpoint(model: model)
let totalBytes = Double(perTensor * 4 * tensors)
let ckptPath = dir + "/bench.h5"
let rawPath = dir + "/bench.raw"

func rawWrite(sync: Bool) {
    let fd = open(rawPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("open \(rawPath)") }
    for (_, v) in model {
        v.tensorValue!.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n <= 0 { fail("write") }
                off += n
            }
        }
    }
    if sync { fsync(fd) }
    close(fd)
}

func rawRead() {
    let fd = open(rawPath, O_RDONLY)
    guard fd >= 0 else { fail("open \(rawPath)") }
    var out: [[Float]] = []
    for _ in 0..<tensors {
        out.append([Float](unsafeUninitializedCapacity: perTensor) { buf, n in
            let b = UnsafeMutableRawBufferPointer(buf)
            // Huge pages, as numpy and CheckpointFile.load use for large buffers.
            let huge = 2 << 20
            let start = (Int(bitPattern: b.baseAddress!) + huge - 1) & ~(huge - 1)
            let end = (Int(bitPattern: b.baseAddress!) + b.count) & ~(huge - 1)
            if end > start { madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
            var off = 0
            while off < b.count {
                let r = read(fd, b.baseAddress! + off, b.count - off)
                if r <= 0 { fail("read") }
                off += r
            }
            n = perTensor
        })
    }
    close(fd)
    precondition(out.count == tensors)
}

do {
    var rows: [(String, Double, Double, Double)] = []
    let rawNoSync = best(repeats) { rawWrite(sync: false) }
    let rawSync = best(repeats) { rawWrite(sync: true) }
    let rawLoad = best(repeats) { rawRead() }
    rows.append(("swift write()/read()", rawNoSync, rawSync, rawLoad))
    unlink(rawPath)
    let saveNoSync = try best(repeats) { try CheckpointFile.save(checkpoint, to: ckptPath, durable: false) }
    let saveSync = try best(repeats) { try CheckpointFile.save(checkpoint, to: ckptPath, durable: true) }
    let load = try best(repeats) { _ = try CheckpointFile.load(ckptPath) }
    let loadNoVerify = try best(repeats) { _ = try CheckpointFile.load(ckptPath, verifyChecksums: false) }
    rows.append(("ckpt CheckpointFile (xxh64)", saveNoSync, saveSync, load))
    rows.append(("ckpt load without verify", .nan, .nan, loadNoVerify))
    // The same file without its manifest (first byte of the magic cleared), as a file from
    // another writer: `load` parses only a copy the isolated child rebuilt (ForeignFile),
    // against the same file parsed in-process (`ForeignFile.Options.parseInProcess`: what the copy costs).
    let fd = open(ckptPath, O_WRONLY)
    var zero: UInt8 = 0
    guard fd >= 0, pwrite(fd, &zero, 1, 0) == 1 else { fail("clear the manifest of \(ckptPath)") }
    close(fd)
    let loadForeign = try best(repeats) { _ = try CheckpointFile.load(ckptPath) }
    let loadForeignInProcess = try ForeignFile.options.withValue(ForeignFile.Options(parseInProcess: true)) {
        try best(repeats) { _ = try CheckpointFile.load(ckptPath) }
    }
    rows.append(("ckpt load, no manifest (copy)", .nan, .nan, loadForeign))
    rows.append(("ckpt load, no manifest, in-proc", .nan, .nan, loadForeignInProcess))
    unlink(ckptPath)
    // Machine-readable: name|save_nosync_s|save_sync_s|load_s|bytes
    for (name, a, b, c) in rows { print("\(name)|\(a)|\(b)|\(c)|\(Int(totalBytes))") }
} catch {
    fail("\(error)")
}
