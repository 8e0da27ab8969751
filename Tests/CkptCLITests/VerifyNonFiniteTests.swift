import CkptTestSupport
import Foundation
import Testing
import Ckpt
@testable import CkptCLI

/// `verify` scans the tensors of a file not marked non-finite for NaN and infinity and warns
/// per tensor (exit status 0): small tensors read with the tree, and large ones counted in the
/// streamed checksum read (`ChunkedHash`) of a real file.
@Suite struct VerifyNonFiniteTests {
    static func withNaN(_ c: Checkpoint) -> Checkpoint {
        var c = c
        c.model["fc1.bias"] = .tensor(TensorData(shape: [3], storage: .float32([.nan, 1, -.infinity])))
        return c
    }

    @Test func nonFiniteValuesAreWarningsNamingTensorAndCount() throws {
        var files = MemoryFiles()
        let file = files.add("nan.h5", Self.withNaN(SampleCheckpoints.checkpoint()))
        let command = try VerifyCommand.parse([file])
        let r = runCommand { try command.execute(console: $0, reader: files.reader) }
        #expect(r.status == .success)
        #expect(r.out.contains("  \(file): warning: model/fc1.bias holds 1 NaN and 1 infinite value, though the file is not marked non-finite"), "\(r.out)")
        let j = runCommand { try VerifyCommand.parse([file, "--json"]).execute(console: $0, reader: files.reader) }
        let entry = try #require(try JSON.parse(j.out).dictValue?["files"]?.arrayValue?.first?.dictValue)
        #expect(entry["ok"] == true)
        #expect(entry["warnings"]?.arrayValue?.compactMap(\.stringValue).contains { $0.hasPrefix("model/fc1.bias holds 1 NaN and 1 infinite value") } == true)
    }

    @Test func aFileMarkedNonFiniteIsNotScanned() throws {
        var files = MemoryFiles()
        var c = Self.withNaN(SampleCheckpoints.checkpoint())
        c.metadata[Run.nonFiniteKey] = "the training loss is NaN at epoch 1, batch 2 (global step 2)"
        let file = files.add("marked.h5", c)
        let r = runCommand { try VerifyCommand.parse([file]).execute(console: $0, reader: files.reader) }
        #expect(r.status == .success)
        #expect(r.out.contains("warning: the state is marked non-finite"))
        #expect(!r.out.contains("holds"), "\(r.out)")
    }

    @Test func largeTensorsAreCountedInTheStreamedRead() throws {
        let dir = NSTemporaryDirectory() + "ckpt-verify-nf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = SampleCheckpoints.checkpoint()
        // 300 KiB, more than one 256 KiB chunk: NaNs in both chunks and the tail.
        var big = [Float](repeating: 0.5, count: 76_800)
        for i in [0, 65_535, 65_536, 76_799] { big[i] = .nan }
        big[70_000] = .infinity
        c.model["fc1.weight"] = .tensor(TensorData(shape: [300, 256], storage: .float32(big)))
        c.optimizer = nil
        c.scheduler = nil
        var half = [Double](repeating: 1, count: 2_000)
        half[1_999] = -.infinity
        c.model["fc2.weight"] = .tensor(TensorData(shape: [2_000], storage: .float64(half)))
        let file = dir + "/big.h5"
        try CheckpointFile.save(c, to: file)
        let r = runCommand { try VerifyCommand.parse([file]).execute(console: $0, reader: .hdf5) }
        #expect(r.status == .success, "\(r.out) \(r.err)")
        #expect(r.out.contains("warning: model/fc1.weight holds 4 NaN and 1 infinite value,"), "\(r.out)")
        #expect(r.out.contains("warning: model/fc2.weight holds 1 infinite value,"), "\(r.out)")
        #expect(!r.out.contains("fc1.bias holds"))
    }

    @Test func manyTensorsAreCappedInOneLine() {
        let found = (0..<23).map { (path: "model/t\($0)", count: NonFiniteCount(nan: 1)) }
        let w = VerifyCommand.nonFiniteWarnings(found)
        #expect(w.count == VerifyCommand.maxNonFiniteWarnings + 1)
        #expect(w.last == "3 more tensors hold NaN or infinity")
    }
}
