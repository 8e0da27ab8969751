import Ckpt
import CkptCore
@_spi(Testing) import CkptFormat
import CkptTestSupport
import Foundation
@_spi(Testing) import HDF5
import Testing

/// Whatever isolation the loaders put between a foreign HDF5 file (no ckpt manifest) and the
/// parse, a user must see the same thing as from a plain in-process parse of the original:
/// for every file in `fixtures/foreign/` (valid h5py files of every kind the readers meet,
/// made by `fixtures/make_foreign_fixtures.py`), each public loader's outcome with
/// `ForeignFile.Options.parseInProcess` (the reference: the original parsed in-process, no
/// probe) must equal its outcome without it: the same values bit for bit, in the same order,
/// or the same error in the same words (naming the original file, not a copy).
///
/// Both sides run in child processes (this test binary again, running only `writeOutcomes`,
/// which sets the option for its own loads when the parent asks for the reference), each
/// loading the corpus in a fresh process: a stray crash of libhdf5 on the unprobed side then
/// fails this test alone, and the hundreds of forks of the isolated side happen away from
/// the other tests' open HDF5 files. `CKPT_FOREIGN_SUMMARY=1` prints every file's reference
/// outcomes (to see what the corpus exercises); silent otherwise. Both variables are the
/// tests' own: ckpt reads neither.
@Suite(.serialized) struct ForeignEquivalenceTests {
    static let directory = Repository.path("fixtures/foreign")
    /// Set only in a child: where `writeOutcomes` writes its JSON.
    static let outputVariable = "CKPT_FOREIGN_OUTCOMES_OUTPUT"
    /// Set only in the child that computes the reference (parsed in-process).
    static let referenceVariable = "CKPT_FOREIGN_OUTCOMES_IN_PROCESS"
    static let environment = ProcessInfo.processInfo.environment

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

    struct Outcome: Codable, Equatable {
        var loaded: Bool
        var text: String
    }

    /// Every loader's outcome on every corpus file, in this process as its environment stands.
    static func outcomes() -> [String: [Outcome]] {
        var out: [String: [Outcome]] = [:]
        for name in corpus {
            out[name] = loaders.map { loader in
                do {
                    return Outcome(loaded: true, text: try loader.run(directory + "/" + name))
                } catch {
                    return Outcome(loaded: false, text: "error \(type(of: error)): \(error)")
                }
            }
        }
        return out
    }

    /// What a child writes: whether it ran unisolated, how many probes it forked, and every
    /// outcome by file name.
    struct Report: Codable {
        var noIsolation: Bool
        var probes: Int
        var outcomes: [String: [Outcome]]
    }

    /// The child's half: runs only when the parent test asked for it.
    @Test(.enabled(if: environment[outputVariable] != nil, "run by everyLoaderSeesTheSameOutcome... in child processes"))
    func writeOutcomes() throws {
        let noIsolation = Self.environment[Self.referenceVariable] != nil
        let before = HDF5Probe.count
        let outcomes = ForeignFile.options.withValue(ForeignFile.Options(parseInProcess: noIsolation)) { Self.outcomes() }
        let report = Report(noIsolation: noIsolation, probes: HDF5Probe.count - before, outcomes: outcomes)
        try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: Self.environment[Self.outputVariable]!))
    }

    /// Every outcome, from this test binary run again for the reference or the isolated side.
    static func childOutcomes(noIsolation: Bool) throws -> [String: [Outcome]] {
        let output = NSTemporaryDirectory() + "ckpt-foreign-outcomes-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["--testing-library", "swift-testing", "--filter", "ForeignEquivalenceTests/writeOutcomes"]
        var env = environment
        env[referenceVariable] = noIsolation ? "1" : nil
        env[outputVariable] = output
        child.environment = env
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        child.waitUntilExit()
        guard child.terminationReason == .exit, child.terminationStatus == 0,
              let data = FileManager.default.contents(atPath: output) else {
            throw ChildFailed(noIsolation: noIsolation,
                              reason: "\(child.terminationReason == .exit ? "exit status" : "signal") \(child.terminationStatus)")
        }
        let report = try JSONDecoder().decode(Report.self, from: data)
        guard report.noIsolation == noIsolation else {
            throw ChildFailed(noIsolation: noIsolation, reason: "it ran \(report.noIsolation ? "in-process" : "isolated")")
        }
        // The option took effect: no probe on the reference side, probes on the other.
        guard noIsolation ? report.probes == 0 : report.probes > 0 else {
            throw ChildFailed(noIsolation: noIsolation, reason: "it forked \(report.probes) probes")
        }
        return report.outcomes
    }

    struct ChildFailed: Error, CustomStringConvertible {
        var noIsolation: Bool
        var reason: String
        var description: String {
            "the run of this test binary (filter writeOutcomes\(noIsolation ? ", parsed in-process" : "")) failed: \(reason)"
        }
    }

    /// (Not run inside the children: there it would spawn children of its own.)
    @Test(.enabled(if: environment[outputVariable] == nil, "in a child of this test"))
    func everyLoaderSeesTheSameOutcomeWithAndWithoutIsolation() throws {
        let files = Self.corpus
        let reference = try Self.childOutcomes(noIsolation: true)
        let isolated = try Self.childOutcomes(noIsolation: false)
        #expect(reference.keys.sorted() == files && isolated.keys.sorted() == files)
        var loadedFiles = 0
        var loadedByLoader = [Int](repeating: 0, count: Self.loaders.count)
        var errors = 0
        for name in files {
            guard let ref = reference[name], let iso = isolated[name] else { continue }
            for (i, loader) in Self.loaders.enumerated() {
                #expect(iso[i].text == ref[i].text, "\(name), \(loader.name): isolated vs in-process")
                if ref[i].loaded { loadedByLoader[i] += 1 } else { errors += 1 }
            }
            if ref.contains(where: \.loaded) { loadedFiles += 1 }
        }
        // Not vacuous: a varied corpus, many files that load and many that are refused.
        #expect(files.count >= 25, "only \(files.count) files in \(Self.directory)")
        #expect(loadedFiles >= 8, "only \(loadedFiles) files load through some loader")
        #expect(loadedByLoader.allSatisfy { $0 >= 2 }, "loads per loader: \(loadedByLoader)")
        #expect(errors >= 25, "only \(errors) refusals")
        if Self.environment["CKPT_FOREIGN_SUMMARY"] != nil {
            print("\(files.count) files, \(loadedFiles) load somewhere; per loader \(zip(Self.loaders.map(\.name), loadedByLoader).map { "\($0): \($1)" })")
            for name in files {
                print(name)
                for (i, l) in Self.loaders.enumerated() {
                    let o = reference[name]![i]
                    print("  \(l.name): \(o.loaded ? "ok " : "")\(o.text)")
                }
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
