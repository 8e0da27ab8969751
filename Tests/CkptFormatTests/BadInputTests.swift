import CkptCore
import CkptTestSupport
import Foundation
import HDF5
import Testing
@testable import CkptFormat

/// Every file is untrusted: each malformed input gives a CheckpointError naming the file and
/// the object, never a crash, a hang or an outsized allocation.
@Suite struct BadInputTests {
    /// Builds a checkpoint-shaped file by hand, for shapes `save` would never write.
    func craft(_ path: String, version: HDF5AttributeValue = .scalar(Int64(1)), model: Bool = true,
               _ body: (HDF5Group) throws -> Void = { _ in }) throws {
        let f = try HDF5File.create(path)
        let root = try f.root()
        try root.writeAttribute("format", .string("ckpt"))
        try root.writeAttribute("format_version", version)
        if model { _ = try root.createGroup("model") }
        try body(root)
        try f.close()
    }

    func loadError(_ path: String, verify: Bool = true) -> CheckpointError? {
        do {
            _ = try CheckpointFile.load(path, verifyChecksums: verify)
            return nil
        } catch let e as CheckpointError {
            #expect(e.file == path)
            #expect(!e.description.isEmpty)
            return e
        } catch {
            Issue.record("non-CheckpointError \(error)")
            return nil
        }
    }

    @Test func randomBytesAndMissingFiles() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let p = dir + "/junk.h5"
        FileManager.default.createFile(atPath: p, contents: Data((0..<10000).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }))
        guard case .unreadable(_, "/", _)? = loadError(p) else { Issue.record("junk"); return }
        guard case .unreadable? = loadError(dir + "/absent.h5") else { Issue.record("absent"); return }
        FileManager.default.createFile(atPath: dir + "/empty.h5", contents: Data())
        guard case .unreadable? = loadError(dir + "/empty.h5") else { Issue.record("empty"); return }
    }

    @Test func everyTruncationFailsCleanly() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let good = dir + "/good.h5"
        try CheckpointFile.save(sampleCheckpoint(), to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        var cuts = Array(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)))
        cuts += [bytes.count - 1, bytes.count - 8]
        for cut in cuts {
            let p = dir + "/cut.h5"
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: p))
            #expect(loadError(p) != nil, "truncated at \(cut) of \(bytes.count) loaded")
        }
    }

    @Test func bitFlipInTensorDataIsCaughtByChecksum() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let p = dir + "/flip.h5"
        let pattern: [Float] = (0..<64).map { 1000 + Float($0) * 0.125 }
        var c = sampleCheckpoint()
        c.model["layer.weight"] = .tensor(TensorData(shape: [8, 8], storage: .float32(pattern)))
        try CheckpointFile.save(c, to: p)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: p))
        let needle = pattern.withUnsafeBytes { Data($0) }
        let at = try #require(bytes.range(of: needle)).lowerBound + 101
        bytes[at] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: p))
        guard case .checksumMismatch(_, let path, let expected, let actual)? = loadError(p) else {
            Issue.record("flip not detected")
            return
        }
        #expect(path == "/model/layer.weight")
        #expect(expected != actual && expected.hasPrefix("xxh64:"))
        // Without verification the (corrupt) data loads.
        let loaded = try CheckpointFile.load(p, verifyChecksums: false)
        #expect(loaded.model["layer.weight"] != c.model["layer.weight"])
    }

    /// A flip outside tensor data fails the manifest's metadata hash, and the message says
    /// so rather than blaming a tensor.
    @Test func metadataFlipIsReportedAsMetadata() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let p = dir + "/meta.h5"
        try CheckpointFile.save(sampleCheckpoint(), to: p)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: p))
        let at = try #require(bytes.range(of: Data("format_version".utf8))).lowerBound
        bytes[at] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: p))
        let e = try #require(loadError(p))
        guard case .checksumMismatch(_, "/", _, _) = e else { Issue.record("got \(e)"); return }
        #expect(e.description.contains("metadata checksum mismatch") && !e.description.contains("tensor's bytes"),
                "\(e.description)")
    }

    @Test func randomBitFlipsNeverCrash() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let good = dir + "/good.h5"
        let c = sampleCheckpoint()
        try CheckpointFile.save(c, to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<150 {
            var b = bytes
            let i = Int.random(in: 0..<b.count, using: &rng)
            b[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            let p = dir + "/f.h5"
            try b.write(to: URL(fileURLWithPath: p))
            if let loaded = try? CheckpointFile.load(p) {
                // Tensor bytes are checksummed: whatever loads has the saved tensors.
                #expect(loaded.model.bitwiseEqual(c.model), "flip at \(i) changed a tensor silently")
            }
        }
    }

    @Test func wrongVersionAndForeignFiles() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        try craft(dir + "/v2.h5", version: .scalar(Int64(2)))
        guard case .unsupportedVersion(_, "2", 1)? = loadError(dir + "/v2.h5") else { Issue.record("v2"); return }
        try craft(dir + "/vs.h5", version: .string("1"))
        guard case .unsupportedVersion(_, "\"1\"", 1)? = loadError(dir + "/vs.h5") else { Issue.record("string version"); return }
        guard case .notACheckpoint? = loadError(Repository.path("fixtures/h5py/types.h5")) else {
            Issue.record("foreign file")
            return
        }
        let f = try HDF5File.create(dir + "/other.h5")
        try f.root().writeAttribute("format", .string("keras"))
        try f.close()
        guard case .notACheckpoint? = loadError(dir + "/other.h5") else { Issue.record("keras"); return }
    }

    @Test func missingModelAndOptimizerParts() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        try craft(dir + "/nomodel.h5", model: false)
        #expect(loadError(dir + "/nomodel.h5") == .missing(file: dir + "/nomodel.h5", path: "/model"))
        try craft(dir + "/noparams.h5") { root in
            let o = try root.createGroup("optimizer")
            try o.writeAttribute("type", .string("SGD"))
            _ = try o.createGroup("state")
        }
        #expect(loadError(dir + "/noparams.h5") == .missing(file: dir + "/noparams.h5", path: "/optimizer/param_groups"))
    }

    @Test func shapesThatDisagreeWithTheirAttributes() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        var c = sampleCheckpoint()
        c.progress?["global_step"] = 5  // lr has 3 rows
        try CheckpointFile.save(c, to: dir + "/lr.h5")
        guard case .malformed(_, "/progress/lr", let reason)? = loadError(dir + "/lr.h5") else { Issue.record("lr"); return }
        #expect(reason.contains("3") && reason.contains("5"))

        var d = sampleCheckpoint()
        var state = d.optimizer!["state"]!.dictValue!
        state["9"] = .dict(["momentum_buffer": .tensor(.scalar(1))])
        d.optimizer!["state"] = .dict(state)
        try CheckpointFile.save(d, to: dir + "/idx.h5")
        guard case .malformed(_, "/optimizer/state/9", _)? = loadError(dir + "/idx.h5") else { Issue.record("idx"); return }
    }

    @Test func unsupportedDtypeAndAbsurdSizes() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        try craft(dir + "/u32.h5") { root in
            try root.openGroup("model").createDataset("w", values: [UInt32(1), 2])
        }
        guard case .malformed(_, "/model/w", let r)? = loadError(dir + "/u32.h5"), r.contains("uint32") else {
            Issue.record("uint32")
            return
        }
        // The bfloat16 marker on another type, or naming another dtype.
        for (name, marker) in [("i16", "bfloat16"), ("u16", "float8_e4m3fn")] {
            try craft(dir + "/\(name).h5") { root in
                let ds = name == "i16" ? try root.openGroup("model").createDataset("w", values: [Int16(1), 2])
                                       : try root.openGroup("model").createDataset("w", values: [UInt16(1), 2])
                try ds.writeAttribute(CheckpointFormat.dtypeAttribute, .string(marker))
            }
            guard case .malformed(_, "/model/w", let r)? = loadError(dir + "/\(name).h5"), r.contains("marked __ckpt_dtype__ = \(marker)") else {
                Issue.record("\(name) marked \(marker): \(String(describing: loadError(dir + "/\(name).h5")))")
                return
            }
        }
        // A dataset header claiming 4 TiB of float32 in a file of a few KB.
        try craft(dir + "/huge.h5") { root in
            try root.openGroup("model").createDataset("w", type: .float32, shape: [1 << 40])
        }
        guard case .malformed(_, "/model/w", let r2)? = loadError(dir + "/huge.h5"), r2.contains("file holds only") else {
            Issue.record("huge")
            return
        }
    }

    @Test func deepNestingAndCyclesAreBounded() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        try craft(dir + "/deep.h5") { root in
            var g = try root.createGroup("rng")
            for _ in 0..<100 { g = try g.createGroup("d") }
        }
        guard case .malformed(_, let p, let r)? = loadError(dir + "/deep.h5"), r.contains("deeper") else {
            Issue.record("deep")
            return
        }
        #expect(p.hasPrefix("/rng/d/d"))
        try craft(dir + "/cycle.h5") { root in
            let g = try root.createGroup("rng")
            try g.createGroup("a").createHardLink("loop", to: "/rng")
        }
        #expect(loadError(dir + "/cycle.h5") != nil)
        try craft(dir + "/soft.h5") { root in
            try root.openGroup("model").createSoftLink("w", to: "/elsewhere")
        }
        guard case .malformed(_, "/model/w", _)? = loadError(dir + "/soft.h5") else { Issue.record("soft"); return }
    }

    @Test func encodingMarkersAreChecked() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        try craft(dir + "/order.h5") { root in
            let g = try root.createGroup("rng")
            try g.writeAttribute("a", .scalar(Int64(1)))
            try g.writeAttribute(CheckpointFormat.orderAttribute, .stringArray(["a", "b"]))
        }
        guard case .malformed(_, "/rng", _)? = loadError(dir + "/order.h5") else { Issue.record("order"); return }
        try craft(dir + "/kind.h5") { root in
            let g = try root.createGroup("rng").createGroup("l")
            try g.writeAttribute(CheckpointFormat.kindAttribute, .string("list"))
            try g.writeAttribute("1", .scalar(Int64(1)))
        }
        guard case .malformed(_, "/rng/l", _)? = loadError(dir + "/kind.h5") else { Issue.record("kind"); return }
    }

    @Test func missingOrMalformedChecksums() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        try craft(dir + "/nosum.h5") { root in
            try root.openGroup("model").createDataset("w", values: [Float(1)])
        }
        #expect(loadError(dir + "/nosum.h5") == .missingChecksum(file: dir + "/nosum.h5", path: "/model/w"))
        #expect(try CheckpointFile.load(dir + "/nosum.h5", verifyChecksums: false).model["w"] != nil)
        try craft(dir + "/intsum.h5") { root in
            try root.openGroup("model").createDataset("w", values: [Float(1)]).writeAttribute("checksum", .scalar(Int64(5)))
        }
        guard case .malformed(_, "/model/w/checksum", _)? = loadError(dir + "/intsum.h5") else { Issue.record("int"); return }
    }
}
