import CkptCore
import CkptTestSupport
import Foundation
import Testing
@_spi(Testing) @testable import CkptFormat
@_spi(Testing) import HDF5

/// Format v1 written from Python (`python/ckpt_torch.py`) reads here as PyTorch had it, and a
/// Swift-written file survives a read + rewrite by the Python module unchanged.
@Suite struct PythonModuleInteropTests {
    static let fixture = Repository.path("fixtures/interop/python_run.h5")
    static let reference = Repository.path("fixtures/interop/python_run.json")

    /// Compares a state value with PyTorch's, as `make_python_fixture.py` dumped it to JSON
    /// (tensors as {dtype, shape, data}, tuples as lists); ints and floats must stay apart.
    static func same(_ v: StateValue, _ torch: StateValue, _ path: String) -> [String] {
        switch (v, torch) {
        case (.tensor(let t), .dict(let d)):
            let values: [Double] = d["data"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            let shape = d["shape"]?.arrayValue?.compactMap(\.intValue).map(Int.init) ?? []
            guard t.shape == shape, t.dtype.rawValue == d["dtype"]?.stringValue else {
                return ["\(path): \(t.dtype) \(t.shape) vs torch \(d["dtype"] ?? .none) \(shape)"]
            }
            return doubles(t) == values ? [] : ["\(path): values differ"]
        case (.dict(let a), .dict(let b)):
            guard Array(a.keys) == Array(b.keys) else { return ["\(path): keys \(a.keys) vs torch \(b.keys)"] }
            return a.flatMap { same($0.value, b[$0.key]!, path + "/" + $0.key) }
        case (.list(let a), .list(let b)), (.tuple(let a), .list(let b)):
            guard a.count == b.count else { return ["\(path): \(a.count) items vs torch \(b.count)"] }
            return zip(a, b).enumerated().flatMap { same($0.element.0, $0.element.1, "\(path)/\($0.offset)") }
        default:
            return v == torch ? [] : ["\(path): \(v) vs torch \(torch)"]
        }
    }

    @Test func readsACheckpointWrittenByPyTorch() throws {
        let c = try CheckpointFile.load(Self.fixture)   // checksums verified
        let ref = try #require(try JSON.parse(String(contentsOfFile: Self.reference, encoding: .utf8)).dictValue)
        #expect(Self.same(.dict(c.model), ref["model"]!, "/model") == [])
        var optimizer = try #require(c.optimizer)
        #expect(optimizer.removeValue(forKey: "type") == .string("Adam"))
        // ckpt_torch.save adds the model's names (format v1 records them; PyTorch's own dict has none).
        var groups = try #require(optimizer["param_groups"]?.arrayValue)
        var names = try #require(groups[0].dictValue)
        #expect(names.removeValue(forKey: "param_names") == .list(["0.weight", "0.bias", "2.weight", "2.bias"]))
        groups[0] = .dict(names)
        var withoutNames = optimizer
        withoutNames["param_groups"] = .list(groups)
        #expect(Self.same(.dict(withoutNames), ref["optimizer"]!, "/optimizer") == [])
        var scheduler = try #require(c.scheduler)
        #expect(scheduler.removeValue(forKey: "type") == .string("SequentialLR"))
        guard case .list(var children)? = scheduler["_schedulers"] else { Issue.record("no _schedulers"); return }
        var childTypes: [StateValue?] = []
        for i in children.indices {
            var d = children[i].dictValue!
            childTypes.append(d.removeValue(forKey: "type"))
            children[i] = .dict(d)
        }
        #expect(childTypes == [.string("LinearLR"), .string("StepLR")])
        scheduler["_schedulers"] = .list(children)
        #expect(Self.same(.dict(scheduler), ref["scheduler"]!, "/scheduler") == [])

        // Python's types, exactly: a tuple, None, bools, a 0-d float32 step.
        let group = try #require(optimizer["param_groups"]?.arrayValue?.first?.dictValue)
        #expect(group["betas"] == .tuple([.double(0.8), .double(0.99)]))
        #expect(group["foreach"] == StateValue.none)
        #expect(group["amsgrad"] == .bool(false))
        #expect(group["params"] == .list([0, 1, 2, 3]))
        let step = try #require(optimizer["state"]?.dictValue?["0"]?.dictValue?["step"]?.tensorValue)
        #expect(step.bitwiseEqual(.scalar(3)))
        let lr = try #require(c.progress?["lr"]?.tensorValue)
        #expect(lr.dtype == .float64 && lr.shape == [3, 1])
        let torchLr: [Double] = ref["lr"]!.arrayValue!.map { $0.arrayValue![0].doubleValue! }
        #expect(doubles(lr) == torchLr)
        #expect(c.config == "{\"note\": \"fixture, not a ckpt run config\"}")
    }

    @Test func tamperedPythonFileFailsItsChecksum() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/t.h5"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.fixture)))
        // Flip one bit of the first model tensor's bytes, found by its float32 pattern.
        let c = try CheckpointFile.load(Self.fixture)
        let first = try #require(c.model[c.model.keys[0]]?.tensorValue)
        let needle = first.withUnsafeBytes { Array($0) }
        let at = try #require((0...(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) })
        bytes[at] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try CheckpointFile.load(path)
        } throws: { e in
            guard case .checksumMismatch(_, let p, _, _) = e as? CheckpointError else { return false }
            return p == "/model/" + c.model.keys[0]
        }
    }

    @Test(.enabled(if: Tools.hasH5py, "python3 with h5py and numpy is not installed"))
    func pythonRewriteOfASwiftCheckpointIsIdentical() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let original = sampleCheckpoint()
        try CheckpointFile.save(original, to: dir + "/swift.h5")
        let script = """
            import sys; sys.path.insert(0, sys.argv[1]); import ckpt_torch as c
            r = c.read(sys.argv[2])
            meta = {k: v for k, v in r.pop("metadata").items() if k not in ("format", "format_version")}
            c.write(sys.argv[3], r, meta)
            """
        let out = try #require(Subprocess.runTool("python3", ["-c", script, Repository.path("python"), dir + "/swift.h5", dir + "/python.h5"]))
        #expect(out.status == 0, "\(out.output)")
        let back = try CheckpointFile.load(dir + "/python.h5")
        let same = sameCheckpoint(original, back)
        #expect(same)
        #expect(back.metadata["created_at"] != nil)
    }

    /// ckpt_torch signs its manifest with this user's key, created as the Swift side creates
    /// it: its files are then parsed in-process, like the Swift side's own; under another key
    /// (another user) the same file goes through the isolated probe and reads the same.
    @Test(.enabled(if: Tools.hasH5py, "python3 with h5py and numpy is not installed"))
    func pythonSavesAreSignedWithTheUsersKey() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let other = dir + "/other.key", key = dir + "/config/ckpt/manifest.key"
        try ManifestKey.location.withValue(.file(other)) { try CheckpointFile.save(sampleCheckpoint(), to: dir + "/swift.h5") }
        let script = """
            import os, sys; sys.path.insert(0, sys.argv[1]); os.environ["XDG_CONFIG_HOME"] = sys.argv[4]
            import ckpt_torch as c
            r = c.read(sys.argv[2])
            meta = {k: v for k, v in r.pop("metadata").items() if k not in ("format", "format_version")}
            c.write(sys.argv[3], r, meta)
            """
        let out = try #require(Subprocess.runTool("python3", ["-c", script, Repository.path("python"), dir + "/swift.h5",
                                                               dir + "/python.h5", dir + "/config"]))
        #expect(out.status == 0, "\(out.output)")
        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 16)

        let before = HDF5Probe.count
        let signed = try ManifestKey.location.withValue(.file(key)) { try CheckpointFile.load(dir + "/python.h5") }
        #expect(HDF5Probe.count == before)
        let isolated = try ManifestKey.location.withValue(.file(other)) { try CheckpointFile.load(dir + "/python.h5") }
        #expect(HDF5Probe.count == before + 1)
        #expect(sameCheckpoint(signed, isolated))
        #expect(try ManifestKey.location.withValue(.file(key)) { try FileManifest.verify(dir + "/python.h5") } == .verified(signed: true))
    }
}

/// Every element as a Double (exact but for int64 beyond 2^53).
func doubles(_ t: TensorData) -> [Double] { t.doubleElements }
