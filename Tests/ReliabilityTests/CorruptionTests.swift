import CkptFormat
import Foundation
import Testing

/// Truncations and bit flips of a real checkpoint are errors naming the file, never a crash
/// or a silently different checkpoint (scripts/reliability/bit_flips.py runs the long version).
@Suite struct CorruptionTests {
    @Test func truncationAtEvery4KiBBoundaryAndEdges() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let bytes = readBytes(try tinyRunCheckpoint(in: dir))
        var cuts = Array(stride(from: 0, to: bytes.count, by: 4096))
        cuts += [1, 8, 511, 512, 513, bytes.count / 2, bytes.count - 1]
        let p = dir + "/cut.h5"
        for cut in cuts {
            writeBytes(Array(bytes.prefix(cut)), to: p)
            let e = loadOutcome(p)
            #expect(e != nil, "truncated to \(cut) of \(bytes.count) bytes loaded")
            if let e { #expect((e as? CheckpointError)?.file == p, "\(cut): \(e)") }
        }
    }

    /// Every tensor byte is covered by its XXH64 checksum: one flipped bit in each of a spread
    /// of tensor bytes gives `checksumMismatch` naming a tensor.
    @Test func flipsInTensorDataAreChecksumMismatches() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let bytes = readBytes(try tinyRunCheckpoint(in: dir))
        let layout = try #require(ManifestLayout(bytes))
        #expect(layout.fileSize == bytes.count)
        #expect(layout.tensorRanges.count >= 8)
        let p = dir + "/flip.h5"
        for (i, r) in layout.tensorRanges.enumerated() {
            for offset in Set([r.lowerBound, r.lowerBound + r.count / 2, r.upperBound - 1]) {
                var b = bytes
                b[offset] ^= 1 << UInt8(i % 8)
                writeBytes(b, to: p)
                guard let e = loadOutcome(p) as? CheckpointError, case .checksumMismatch(_, let path, _, _) = e else {
                    Issue.record("flip at \(offset) in tensor range \(r): \(String(describing: loadOutcome(p)))")
                    continue
                }
                #expect(path.hasPrefix("/"))
            }
        }
    }

    /// Every byte of HDF5 metadata (everything outside the tensors, past the user block) is
    /// covered by the manifest's hash: a flip at any sampled metadata byte is an error.
    @Test func flipsInMetadataAreDetected() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let bytes = readBytes(try tinyRunCheckpoint(in: dir))
        let layout = try #require(ManifestLayout(bytes))
        let meta = layout.metadataOffsets
        #expect(meta.count > 1000)
        let p = dir + "/flip.h5"
        var rng = SystemRandomNumberGenerator()
        let sample = [meta.first!, meta.last!] + (0..<60).map { _ in meta.randomElement(using: &rng)! }
        for offset in sample {
            var b = bytes
            b[offset] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            writeBytes(b, to: p)
            let e = loadOutcome(p)
            #expect(e is CheckpointError, "flip at metadata byte \(offset): \(String(describing: e))")
        }
    }

    /// Flips in the manifest text itself: an error, or (a flip in padding) the same checkpoint.
    @Test func flipsInTheManifestNeverLoadSomethingElse() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try tinyRunCheckpoint(in: dir)
        let original = try CheckpointFile.load(path)
        let bytes = readBytes(path)
        let end = bytes.firstIndex(of: 0)!
        let p = dir + "/flip.h5"
        for offset in stride(from: 0, to: end, by: 3) {
            var b = bytes
            b[offset] ^= 0x04
            writeBytes(b, to: p)
            if let loaded = try? CheckpointFile.load(p) {
                #expect(loaded == original, "flip at manifest byte \(offset) loaded a different checkpoint")
            }
        }
    }
}
