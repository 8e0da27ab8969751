import CkptCore
import Foundation
import HDF5
import Testing
@testable import CkptFormat

/// CkptFormat's readers of files it did not necessarily write, as the CLI and `Ckpt` use them
/// without the HDF5 module: telling a checkpoint apart, listing any file, foreign weights.
@Suite struct ForeignReadingTests {
    /// Root attributes of every kind a foreign writer may use.
    static func writeAttributes(_ path: String, format: HDF5AttributeValue? = nil) throws {
        let f = try HDF5File.create(path)
        let root = try f.root()
        if let format { try root.writeAttribute("format", format) }
        try root.writeAttribute("half", AttributeDecoderTests.half([0x3E00, 0xC000]))
        try root.writeAttribute("u64_small", .scalar(UInt64(7)))
        try root.writeAttribute("u64", .scalar(UInt64(1) << 63 + 1))
        try root.writeAttribute("grid", .numbers(HDF5Array([Int32(1), 2, 3, 4], shape: [2, 2])))
        try root.writeAttribute("text", .string("héllo"))
        _ = try root.createGroup("model").createDataset("w", values: [Float(1), 2])
        try f.close()
    }

    @Test func listingAndCheckpointReaderDecodeAttributesAlike() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/attrs.h5"
        try Self.writeAttributes(path)
        let root = try FileTreeNode.list(path)
        let listed = Dictionary(uniqueKeysWithValues: root.attributes.map { ($0.name, ($0.value, $0.type)) })
        let reader = StateReader(file: path, verifyChecksums: false)
        let file = try HDF5File.open(path)
        defer { try? file.close() }
        for name in ["half", "u64_small", "u64", "text"] {
            let raw = try file.root().readAttribute(name)
            let read = Result { try reader.decodeAttribute(raw, isTuple: false, path: "/" + name) }
            switch read {
            case .success(let v): #expect(listed[name]?.0 == v, "\(name)")
            case .failure(let e):
                // Refused by both: the listing keeps the type and shows the reader's reason.
                guard case CheckpointError.malformed(path, "/" + name, let reason) = e else { Issue.record("\(e)"); continue }
                #expect(listed[name]?.0 == nil && listed[name]?.1 == "uint64, not a state value: \(reason)", "\(String(describing: listed[name]))")
            }
        }
        #expect(listed["half"]?.0 == .list([1.5, -2.0]) && listed["u64_small"]?.0 == 7)
        #expect(listed["u64"]?.1.contains("9223372036854775809") == true)
        // Two dimensions: a nested list in the listing, refused as a state value.
        #expect(listed["grid"]?.0 == .list([.list([1, 2]), .list([3, 4])]) && listed["grid"]?.1 == "int32 [2, 2]")
        #expect(throws: CheckpointError.self) { try reader.decodeAttribute(try file.root().readAttribute("grid"), isTuple: false, path: "/grid") }
        #expect(root.find("model/w")?.storage?.bytes == 8)
    }

    @Test func float16MetadataLoadsAsAFloat() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/half.h5"
        let f = try HDF5File.create(path)
        let root = try f.root()
        try root.writeAttribute("format", .string("ckpt"))
        try root.writeAttribute("format_version", .scalar(Int64(1)))
        try root.writeAttribute("half", AttributeDecoderTests.half([0x3E00], shape: []))
        _ = try root.createGroup("model")
        try f.close()
        #expect(try CheckpointFile.load(path, verifyChecksums: false).metadata["half"] == .double(1.5))
    }

    @Test func tellsACheckpointFromOtherFiles() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let saved = dir + "/saved.h5"
        try CheckpointFile.save(sampleCheckpoint(), to: saved, durable: false)
        #expect(try CheckpointFile.isCheckpoint(saved))
        try Self.writeAttributes(dir + "/plain.h5")
        #expect(try !CheckpointFile.isCheckpoint(dir + "/plain.h5"))
        // Only the scalar string "ckpt" is the format `load` accepts.
        try Self.writeAttributes(dir + "/array.h5", format: .stringArray(["ckpt"]))
        #expect(try !CheckpointFile.isCheckpoint(dir + "/array.h5"))
        try Self.writeAttributes(dir + "/scalar.h5", format: .string("ckpt"))
        #expect(try CheckpointFile.isCheckpoint(dir + "/scalar.h5"))
        // A manifest that no longer matches: a damaged checkpoint, for `load` to describe.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: saved))
        bytes[bytes.count - 8] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: dir + "/damaged.h5"))
        #expect(try CheckpointFile.isCheckpoint(dir + "/damaged.h5"))

        let random = dir + "/random.h5"
        try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: random))
        #expect(throws: NotHDF5Error(file: random, reason: "file signature not found")) { try CheckpointFile.isCheckpoint(random) }
        #expect(throws: NotHDF5Error(file: random, reason: "file signature not found")) { try FileTreeNode.list(random) }
    }

    @Test func foreignModelWeightsByParameterName() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let good = dir + "/weights.h5"
        var f = try HDF5File.create(good)
        var model = try f.root().createGroup("model")
        _ = try model.createDataset("fc.weight", values: [Double(0.5), -1], shape: [1, 2])
        _ = try model.createGroup("conv1").createDataset("bias", values: [Float(0.25)])
        try f.close()
        let weights = try ModelWeights.load(good)
        #expect(Set(weights.keys) == ["fc.weight", "conv1.bias"])
        #expect(weights["fc.weight"] == .tensor(TensorData(shape: [1, 2], storage: .float32([0.5, -1]))))
        #expect(weights["conv1.bias"] == .tensor(TensorData(shape: [1], storage: .float32([0.25]))))

        let ints = dir + "/ints.h5"
        f = try HDF5File.create(ints)
        model = try f.root().createGroup("model")
        _ = try model.createGroup("fc").createDataset("weight", values: [Int64(1)])
        try f.close()
        #expect(throws: CheckpointError.malformed(file: ints, path: "/model/fc/weight", reason: "int64, expected a floating-point dataset")) {
            try ModelWeights.load(ints)
        }
        let none = dir + "/none.h5"
        try HDF5File.create(none).close()
        #expect(throws: CheckpointError.self) { try ModelWeights.load(none) }
        do { _ = try ModelWeights.load(none) } catch { #expect("\(error)".hasPrefix("\(none): /model: missing (expected a group"), "\(error)") }
        #expect(throws: CheckpointError.unreadable(file: dir + "/absent.h5", path: "/", reason: "no such file")) {
            try ModelWeights.load(dir + "/absent.h5")
        }
        // A checkpoint: its model section.
        let saved = dir + "/saved.h5"
        try CheckpointFile.save(sampleCheckpoint(), to: saved, durable: false)
        let loaded = try ModelWeights.load(saved), expected = sampleCheckpoint().model  // holds NaN: compare bits
        #expect(loaded.keys == expected.keys)
        for (key, value) in expected {
            guard case .tensor(let a) = value, case .tensor(let b)? = loaded[key] else { Issue.record("\(key) is not a tensor in both"); continue }
            #expect(a.bitwiseEqual(b), "\(key)")
        }
    }
}
