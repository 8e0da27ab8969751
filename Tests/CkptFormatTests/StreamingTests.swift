import CkptCore
import Foundation
import Testing
@testable import CkptFormat

/// `CheckpointFile.outline`: the tree with stand-ins, each tensor read when asked, and the one
/// diff engine over outlines giving what it gives over whole checkpoints.
@Suite struct StreamingTests {
    /// `sampleCheckpoint()` plus tensors of every dtype, a tensor inside a list (never
    /// deferred) and one larger than a hash chunk.
    static func richCheckpoint(perturbed: Bool = false) -> Checkpoint {
        var c = sampleCheckpoint()
        let n = 70_000
        var big = (0..<n).map { Float($0 % 1000) * 0.001 }
        if perturbed { big[n - 1] += 0.5; big[12] = .nan; big[13] = -.infinity }
        c.model["big.weight"] = .tensor(TensorData(shape: [n], storage: .float32(big)))
        c.model["half"] = .tensor(TensorData(shape: [3, 5], storage: .float16((0..<15).map { UInt16(0x3C00 + $0) })))
        c.model["counts"] = .tensor(TensorData(shape: [9], storage: .int64((0..<9).map { Int64($0) << 40 + (perturbed ? 1 : 0) })))
        c.model["mask"] = .tensor(TensorData(shape: [40], storage: .bool((0..<40).map { $0 % 3 == 0 })))
        c.model["ints"] = .tensor(TensorData(shape: [2, 6], storage: .int32(Array(0..<12))))
        c.model["bytes"] = .tensor(TensorData(shape: [33], storage: .uint8((0..<33).map { UInt8($0) })))
        c.model["doubles"] = .tensor(TensorData(shape: [4, 4], storage: .float64((0..<16).map { Double($0) / 3 })))
        c.rng?["states"] = .list([.tensor(TensorData(shape: [64], storage: .uint8(Array(repeating: perturbed ? 7 : 1, count: 64))))])
        return c
    }

    static func save(_ c: Checkpoint, _ dir: String, _ name: String) throws -> String {
        let path = dir + "/" + name
        try CheckpointFile.save(c, to: path, durable: false)
        return path
    }

    /// Bit patterns of two first elements, so NaN compares equal to itself.
    enum Format {
        static func bits(_ a: StateValue, _ b: StateValue) -> [String] {
            [a, b].map { v in v.doubleValue.map { String($0.bitPattern) } ?? "\(v)" }
        }
    }

    @Test func outlineDefersLargeTensorsAndReadsThemBack() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try Self.save(Self.richCheckpoint(), dir, "a.h5")
        let whole = try CheckpointFile.load(path)
        let outline = try CheckpointFile.outline(path, inlineBytes: 16)
        #expect(outline.deferred.contains("model/big.weight"))
        #expect(outline.deferred.contains("optimizer/state/0/exp_avg"))
        #expect(!outline.deferred.contains("optimizer/state/0/step"), "0-d tensors are read with the tree")
        #expect(!outline.deferred.contains { $0.hasPrefix("progress/") || $0.hasPrefix("rng/states") })
        for (p, t) in whole.model.tensors(root: "model") {
            let standIn = try #require(outline.checkpoint.model[String(p.dropFirst(6))]?.tensorValue)
            #expect(standIn.shape == t.shape && standIn.dtype == t.dtype, "\(p)")
            if outline.isDeferred(p) { #expect(standIn.count == 0, "a stand-in holds no data: \(p)") }
            #expect(try outline.tensor(standIn, at: p).bitwiseEqual(t), "\(p)")
        }
        try outline.checkRemaining()
        #expect(outline.damaged.isEmpty)
        // The default keeps small tensors whole: here everything but big.weight.
        let defaults = try CheckpointFile.outline(path)
        #expect(defaults.deferred == ["model/big.weight"])
    }

    @Test func diffOverOutlinesEqualsDiffOverCheckpoints() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let a = try Self.save(Self.richCheckpoint(), dir, "a.h5")
        let b = try Self.save(Self.richCheckpoint(perturbed: true), dir, "b.h5")
        let (x, y) = (try CheckpointFile.load(a), try CheckpointFile.load(b))
        for options in [DiffOptions(), DiffOptions(tolerance: Tolerance(atol: 1e-3, rtol: 0.1), exclude: ["rng"]),
                        DiffOptions(tolerance: .bitwise)] {
            let whole = CheckpointDiff(x, y, options: options)
            let streamed = try CheckpointDiff(try CheckpointFile.outline(a, inlineBytes: 16),
                                              try CheckpointFile.outline(b, inlineBytes: 16), options: options)
            // (Entries compare their first elements as StateValues, where NaN != NaN.)
            #expect(streamed.tensors.map(\.path) == whole.tensors.map(\.path))
            for (s, w) in zip(streamed.tensors, whole.tensors) {
                #expect(s.a == w.a && s.b == w.b && s.difference == w.difference, "\(s.path)")
                #expect(s.firstElements.map { Format.bits($0.a, $0.b) } == w.firstElements.map { Format.bits($0.a, $0.b) }, "\(s.path)")
            }
            #expect(streamed.values == whole.values)
            #expect(streamed.histories == whole.histories)
            #expect(streamed.differenceCount == whole.differenceCount)
        }
        let d = try CheckpointDiff(try CheckpointFile.outline(a, inlineBytes: 16), try CheckpointFile.outline(b, inlineBytes: 16))
        let big = try #require(d.tensors.first { $0.path == "model/big.weight" })
        #expect(big.difference?.differing == 3 && big.difference?.nanMismatches == 1 && big.difference?.infMismatches == 1)
        #expect(big.firstElements?.a == .double(Double(Float(12 % 1000) * 0.001)))
        #expect(big.firstElements?.b.doubleValue?.isNaN == true)
        #expect(d.tensors.first { $0.path == "model/counts" }?.difference?.differing == 9, "int64 compared exactly")
    }

    @Test func damageIsListedAsTheWholeLoaderListsIt() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try Self.save(Self.richCheckpoint(), dir, "a.h5")
        let head = try #require(try FileManifest.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(1 << 16)), file: path))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for r in head.tensorRanges { bytes[r.lowerBound + r.count / 2] ^= 0x10 }
        try bytes.write(to: URL(fileURLWithPath: path))
        let (_, expected) = try CheckpointFile.loadListingDamage(path)
        let outline = try CheckpointFile.outline(path, listingDamage: true, inlineBytes: 16)
        try outline.checkRemaining()
        #expect(Set(outline.damaged.compactMap(\.path)) == Set(expected.compactMap(\.path)))
        #expect(outline.damaged.count == head.tensorRanges.count)
        // Without listing, the first mismatch read throws (here a 0-d step, read with the tree).
        #expect(throws: CheckpointError.self) {
            let strict = try CheckpointFile.outline(path, inlineBytes: 16)
            try strict.checkRemaining()
        }
    }

    @Test func filesWithoutAManifestStreamThroughTheIsolatedCopy() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try Self.save(Self.richCheckpoint(), dir, "a.h5")
        let whole = try CheckpointFile.load(path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[0] = 0  // no manifest: read as a foreign file, through ForeignFile's child
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(!CheckpointFile.hasManifest(path))
        let outline = try CheckpointFile.outline(path, listingDamage: true, inlineBytes: 16)
        let big = try #require(outline.checkpoint.model["big.weight"]?.tensorValue)
        #expect(try outline.tensor(big, at: "model/big.weight").bitwiseEqual(whole.model["big.weight"]!.tensorValue!))
        try outline.checkRemaining()
        #expect(outline.damaged.isEmpty)
        let d = try CheckpointDiff(outline, CheckpointOutline(whole))
        #expect(d.isIdentical)
    }

    @Test func chunkedHashEqualsTheOneShotHash() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/bytes"
        let chunk = ChunkedHash.chunkBytes
        let bytes = (0..<(2 * chunk + 100)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let ranges = [0..<1, 3..<35, 5..<(chunk + 5), 0..<chunk, 1..<(2 * chunk + 1), 7..<(2 * chunk + 100), 31..<64]
        let hashes = try ChunkedHash.hash(fd: fd, ranges: ranges, file: path)
        for (r, h) in zip(ranges, hashes) {
            #expect(h == bytes[r].withUnsafeBytes { Checksum.xxh64($0) }, "\(r)")
        }
        #expect(throws: CheckpointError.self) { try ChunkedHash.hash(fd: fd, ranges: [0..<(3 * chunk)], file: path) }
    }

    /// The hash and the NaN/infinity count come from one pass over each chunk
    /// (`ckpt_xxh64_stripes_nonfinite`): both must equal the one-shot hash and
    /// `NonFiniteCount` of the range, for every floating-point width, with special values in
    /// the first and last elements, across chunk boundaries and in the sub-stripe tail.
    @Test func chunkedHashCountsNonFiniteInTheSameRead() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let chunk = ChunkedHash.chunkBytes
        for dtype in [DType.float32, .float64, .float16, .bfloat16] {
            let path = dir + "/\(dtype.rawValue)"
            let size = dtype.size
            let count = (2 * chunk + 96 + 3 * size) / size
            var bytes = (0..<(count * size)).map { UInt8(truncatingIfNeeded: ($0 &* 2654435761) >> 9) }
            // Clear every exponent, then set it (NaN or infinity) at chosen elements.
            let mask = ChunkedHash.exponentMask(dtype)
            func store(_ e: Int, _ v: UInt64) {
                for b in 0..<size { bytes[e * size + b] = UInt8(truncatingIfNeeded: v >> (8 * b)) }
            }
            let top = UInt64(1) << (63 - mask.leadingZeroBitCount)  // the exponent's highest bit
            for e in 0..<count {
                var v: UInt64 = 0
                for b in 0..<size { v |= UInt64(bytes[e * size + b]) << (8 * b) }
                store(e, v & ~top)  // finite
            }
            // NaN: exponent all ones, mantissa not zero; infinity: mantissa zero.
            func set(_ e: Int, nan: Bool) { store(e, nan ? mask | 1 : mask) }
            for (i, e) in [0, 1, chunk / size - 1, chunk / size, count / 2, count - 2, count - 1].enumerated() {
                set(e, nan: i % 2 == 0)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            let ranges = [0..<(count * size), size..<(count * size - size), 0..<size, (chunk - 5 * size)..<(chunk + 7 * size)]
            let r = try ChunkedHash.hash(fd: fd, ranges: ranges, scanning: ranges.map { _ in dtype }, file: path)
            for (k, range) in ranges.enumerated() {
                let expected = bytes[range].withUnsafeBytes { (Checksum.xxh64($0), NonFiniteCount(bytes: $0, dtype: dtype)) }
                #expect(r.hashes[k] == expected.0, "\(dtype) \(range)")
                #expect(r.nonFinite[k] == expected.1, "\(dtype) \(range)")
            }
            let whole = bytes.withUnsafeBytes { NonFiniteCount(bytes: $0, dtype: dtype) }
            #expect(whole.nan == 4 && whole.infinite == 3, "\(dtype): \(whole)")
            // Not scanning: hashes only, nothing counted.
            let plain = try ChunkedHash.hash(fd: fd, ranges: ranges, scanning: nil, file: path)
            #expect(plain.hashes == r.hashes)
            #expect(plain.nonFinite.allSatisfy { $0.isZero })
        }
    }
}
