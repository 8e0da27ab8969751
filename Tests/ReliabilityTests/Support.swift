import Ckpt
import CkptCore
import CkptFormat
import Foundation

/// A real checkpoint from a tiny run (MLP 3072-4-10 on 16 synthetic samples, Adam, StepLR
/// stepped per batch), written by `save(to:)` after two optimizer steps: every section present.
func tinyRunCheckpoint(in dir: String) throws -> String {
    let config = try RunConfig(json: """
        {"model": {"type": "mlp", "sizes": [3072, 4, 10]},
         "data": {"dataset": "synthetic", "train_size": 16, "test_size": 0, "batch_size": 8},
         "optimizer": {"type": "Adam", "lr": 0.001},
         "scheduler": {"type": "StepLR", "step_size": 1, "gamma": 0.5, "interval": "step"},
         "epochs": 1, "seed": 1}
        """)
    let run = try Run(config: config)
    for batch in run.remainingBatches() {
        try run.trainStep(batch)
    }
    let path = dir + "/tiny.h5"
    try run.save(to: path)
    return path
}

func makeScratchDirectory() -> String {
    let dir = NSTemporaryDirectory() + "ckpt-reliability-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func removeDirectory(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

func readBytes(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path) ?? Data()) }

func writeBytes(_ bytes: [UInt8], to path: String) { FileManager.default.createFile(atPath: path, contents: Data(bytes)) }

/// The outcome of loading an untrusted file: nil when it loaded, else the error. Anything
/// but a `CheckpointError` naming the file is recorded as a test failure by the callers.
func loadOutcome(_ path: String) -> Error? {
    do {
        _ = try CheckpointFile.load(path)
        return nil
    } catch {
        return error
    }
}

/// The tensor byte ranges and the user-block size, read from the manifest ckpt writes at the
/// start of every checkpoint (docs/FORMAT.md: ASCII lines "userblock N", "file_size N",
/// "metadata_xxh64 H", optionally "metadata_siphash24 T", "tensor_ranges K", then K lines
/// "offset length").
struct ManifestLayout {
    var userBlock: Int
    var fileSize: Int
    var tensorRanges: [Range<Int>]

    init?(_ bytes: [UInt8]) {
        let end = bytes.prefix(1 << 20).firstIndex(of: 0) ?? 0
        let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\n")
        guard lines.first == "CKPT-MANIFEST v1", lines.count >= 5 else { return nil }
        func value(_ line: Substring, _ key: String) -> Int? {
            line.hasPrefix(key + " ") ? Int(line.dropFirst(key.count + 1)) : nil
        }
        // An optional "metadata_siphash24 T" line (the saver's keyed tag) follows the hash.
        let at = lines[4].hasPrefix("metadata_siphash24 ") ? 5 : 4
        guard lines.count > at, let ub = value(lines[1], "userblock"), let size = value(lines[2], "file_size"),
              let n = value(lines[at], "tensor_ranges"), lines.count == at + 1 + n else { return nil }
        userBlock = ub
        fileSize = size
        tensorRanges = lines[(at + 1)...].compactMap { l in
            let p = l.split(separator: " ").compactMap { Int($0) }
            return p.count == 2 ? p[0]..<(p[0] + p[1]) : nil
        }
    }

    /// Offsets in [userblock, file size) outside every tensor: HDF5 metadata and free space.
    var metadataOffsets: [Int] {
        var out: [Int] = []
        var next = userBlock
        for r in tensorRanges + [fileSize..<fileSize] {
            if r.lowerBound > next { out += Array(next..<r.lowerBound) }
            next = max(next, r.upperBound)
        }
        return out
    }
}
