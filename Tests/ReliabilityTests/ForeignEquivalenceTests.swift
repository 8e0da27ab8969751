import Ckpt
import CkptCore
import CkptFormat
import Foundation
import Testing

/// Whatever isolation the loaders put between a foreign HDF5 file (no ckpt manifest) and the
/// parse, a user must see the same thing as from a plain in-process parse of the original:
/// for every file in `fixtures/foreign/` (valid h5py files of every kind the readers meet,
/// made by `fixtures/make_foreign_fixtures.py`), each public loader's outcome with
/// `CKPT_NO_ISOLATION=1` (the reference: the original parsed in-process, no probe) must equal
/// its outcome without it: the same values bit for bit, in the same order, or the same error
/// in the same words (naming the original file, not a copy). Serialized: it sets and unsets
/// an environment variable of this process. `CKPT_FOREIGN_SUMMARY=1` prints every file's
/// reference outcomes (to see what the corpus exercises); silent otherwise.
@Suite(.serialized) struct ForeignEquivalenceTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/foreign").path

    static var corpus: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".h5") }.sorted()
    }

    /// The loaders a foreign file reaches, each reduced to a string that differs whenever
    /// what the caller gets differs (error type and text, or every value's kind and bytes).
    static let loaders: [(name: String, run: (String) throws -> String)] = [
        ("CheckpointFile.load", { describe(try CheckpointFile.load($0)) }),
        ("CheckpointFile.load(verifyChecksums: false)", { describe(try CheckpointFile.load($0, verifyChecksums: false)) }),
        ("CheckpointFile.loadListingDamage", { p in
            let (c, damaged) = try CheckpointFile.loadListingDamage(p)
            return describe(c) + "\ndamaged: " + damaged.map { String(describing: $0) }.joined(separator: "; ")
        }),
        ("DataFile.load", { describe(try DataFile.load(path: $0)) }),
        ("DataFile.load(classCount: 5)", { describe(try DataFile.load(path: $0, classCount: 5)) }),
        ("ModelWeights.load", { "model " + describe(try ModelWeights.load($0)) }),
    ]

    static func outcome(_ run: (String) throws -> String, _ path: String) -> (loaded: Bool, text: String) {
        do {
            return (true, try run(path))
        } catch {
            return (false, "error \(type(of: error)): \(error)")
        }
    }

    static func outcomes(_ path: String, isolated: Bool) -> [(loaded: Bool, text: String)] {
        if isolated { unsetenv("CKPT_NO_ISOLATION") } else { setenv("CKPT_NO_ISOLATION", "1", 1) }
        defer { unsetenv("CKPT_NO_ISOLATION") }
        return loaders.map { outcome($0.run, path) }
    }

    @Test func everyLoaderSeesTheSameOutcomeWithAndWithoutIsolation() {
        let files = Self.corpus
        var loadedFiles = 0
        var loadedByLoader = [Int](repeating: 0, count: Self.loaders.count)
        var errors = 0
        for name in files {
            let path = Self.directory + "/" + name
            let reference = Self.outcomes(path, isolated: false)
            let isolated = Self.outcomes(path, isolated: true)
            for (i, loader) in Self.loaders.enumerated() {
                #expect(isolated[i].text == reference[i].text, "\(name), \(loader.name): isolated vs in-process")
                if reference[i].loaded { loadedByLoader[i] += 1 } else { errors += 1 }
            }
            if reference.contains(where: \.loaded) { loadedFiles += 1 }
        }
        // Not vacuous: a varied corpus, many files that load and many that are refused.
        #expect(files.count >= 25, "only \(files.count) files in \(Self.directory)")
        #expect(loadedFiles >= 8, "only \(loadedFiles) files load through some loader")
        #expect(loadedByLoader.allSatisfy { $0 >= 2 }, "loads per loader: \(loadedByLoader)")
        #expect(errors >= 25, "only \(errors) refusals")
        if ProcessInfo.processInfo.environment["CKPT_FOREIGN_SUMMARY"] != nil {
            print("\(files.count) files, \(loadedFiles) load somewhere; per loader \(zip(Self.loaders.map(\.name), loadedByLoader).map { "\($0): \($1)" })")
            for name in files {
                let o = Self.outcomes(Self.directory + "/" + name, isolated: false)
                print(name)
                for (i, l) in Self.loaders.enumerated() { print("  \(l.name): \(o[i].loaded ? "ok " + o[i].text : o[i].text)") }
            }
        }
    }
}

// MARK: - Exact descriptions of what a loader returned

private func describe(_ c: Checkpoint) -> String {
    var out = "metadata " + describe(c.metadata) + "\nmodel " + describe(c.model)
    for (name, section) in [("optimizer", c.optimizer), ("scheduler", c.scheduler), ("progress", c.progress), ("rng", c.rng)] {
        out += "\n\(name) " + (section.map(describe) ?? "absent")
    }
    return out
}

private func describe(_ d: Dataset) -> String {
    "dataset \(d.source) images \(d.images.shape) \(hex(d.images.storage)) labels \(d.labels)"
}

private func describe(_ d: StateDict) -> String {
    "{" + d.map { "\($0.key.debugDescription): \(describe($0.value))" }.joined(separator: ", ") + "}"
}

private func describe(_ v: StateValue) -> String {
    switch v {
    case .tensor(let t): "tensor(\(t.dtype.rawValue), \(t.shape), \(t.withUnsafeBytes { hex(Array($0)) }))"
    case .int(let i): "int \(i)"
    case .double(let d): "double \(d) 0x\(String(d.bitPattern, radix: 16))"
    case .bool(let b): "bool \(b)"
    case .string(let s): "string \(s.debugDescription)"
    case .none: "none"
    case .list(let a): "list [" + a.map(describe).joined(separator: ", ") + "]"
    case .tuple(let a): "tuple (" + a.map(describe).joined(separator: ", ") + ")"
    case .dict(let d): "dict " + describe(d)
    }
}

private func hex(_ floats: [Float]) -> String { floats.withUnsafeBytes { hex(Array($0)) } }

private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes { out += [digits[Int(b >> 4)], digits[Int(b & 15)]] }
    return String(decoding: out, as: UTF8.self)
}
