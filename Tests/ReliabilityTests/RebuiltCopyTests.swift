import Ckpt
@_spi(Testing) @testable import CkptFormat
import CkptTestSupport
import Foundation
@_spi(Testing) @testable import HDF5
import Testing

/// Files without a valid ckpt manifest are parsed only as the copy the isolated child rebuilt
/// (`ForeignFile.open`): the copy must change nothing the reader can see (values, errors and
/// the order they surface in, the file named in them) and leave nothing behind.
/// Part of `ForeignFileTests`, whose serialization these need too (they fork many probes).
extension ForeignFileTests {
    static let damagedChunk = Repository.path("fixtures/hostile/damaged_chunk.h5")
    static let damagedLabels = Repository.path("fixtures/hostile/damaged_labels.h5")

    /// `body`'s result with the original parsed in-process (the reference) and through the copy.
    func bothWays<T>(_ body: () throws -> T) -> (reference: Result<T, Error>, isolated: Result<T, Error>) {
        let reference = withOptions({ $0.parseInProcess = true }) { Result { try body() } }
        return (reference, Result { try body() })
    }

    func describe<T>(_ r: Result<T, Error>) -> String {
        switch r {
        case .success(let v): "value \(v)"
        case .failure(let e): "error \(e)"
        }
    }

    func withTemporaryDirectory(_ dir: String, _ body: () throws -> Void) rethrows {
        try withOptions({ $0.copyDirectory = dir }, body)
    }

    @Test func foreignFilesOpenAsACopyAndManifestFilesAsThemselves() throws {
        let copy = try ForeignFile.open(Self.h5pyCheckpoint, rejectingMismatch: false)
        #expect(copy.isRebuiltCopy)
        #expect(copy.path == Self.h5pyCheckpoint)
        try copy.close()
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let own = try tinyRunCheckpoint(in: dir)
        let file = try ForeignFile.open(own, rejectingMismatch: false)
        #expect(!file.isRebuiltCopy)
        try file.close()
    }

    /// A chunk that fails to inflate fails the read of its own dataset, after the datasets
    /// before it were read, with the original file's name: as a parse of the original does.
    @Test func aDamagedDatasetFailsWhereTheReaderMeetsIt() {
        let (reference, isolated) = bothWays { try CheckpointFile.load(Self.damagedChunk, verifyChecksums: false) }
        guard case .failure(CheckpointError.unreadable(let file, "/model/w", let reason)) = isolated else {
            Issue.record("expected an error at /model/w, got \(describe(isolated))")
            return
        }
        #expect(file == Self.damagedChunk)
        #expect(reason.hasPrefix("cannot read dataset: ") && reason.contains("inflate"), "\(reason)")
        #expect(describe(isolated) == describe(reference))
    }

    @Test func aDamagedDataFileFailsAtItsLabels() {
        let (reference, isolated) = bothWays { try DataFile.load(path: Self.damagedLabels) }
        guard case .failure(CheckpointError.unreadable(_, "/labels", _)) = isolated else {
            Issue.record("expected unreadable at /labels, got \(describe(isolated))")
            return
        }
        #expect(describe(isolated) == describe(reference))
    }

    /// The h5py checkpoint loads to the same values either way (h5py's own file, track_order).
    @Test func aSoundForeignCheckpointLoadsTheSameValues() throws {
        let (reference, isolated) = bothWays { try CheckpointFile.load(Self.h5pyCheckpoint) }
        let r = try reference.get(), i = try isolated.get()
        #expect(r == i)
        #expect(Array(r.model.keys) == Array(i.model.keys))
    }

    /// Large plain datasets are not copied: the copy points at their bytes in the original
    /// (external storage), at offsets that count the user block; the values are the same.
    @Test func largeDatasetsReadInPlaceWithAUserBlock() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/big.h5"
        let big = (0..<(1_500_000)).map { Float($0) * 0.5 - 7 }  // 6 MB: past the 4 MiB slice
        let file = try HDF5File.create(path, userBlockSize: 4096)
        let root = try file.root()
        try root.writeAttribute("format", .strings(["ckpt"], shape: []))
        try root.writeAttribute("format_version", .numbers(HDF5Array(scalar: Int64(1))))
        let model = try root.createGroup("model")
        try model.createDataset("big", values: big)
        try model.createDataset("small", values: [Float](repeating: 3, count: 10))
        try model.createDataset("ints", values: (0..<2_000_000).map { Int64($0 * 3) })
        try file.close()
        #expect(!CheckpointFile.hasManifest(path))
        let (reference, isolated) = bothWays { try CheckpointFile.load(path, verifyChecksums: false) }
        let r = try reference.get(), i = try isolated.get()
        let same = r == i  // (not inside #expect: a failure would print 6 MB of values)
        #expect(same)
        guard case .float32(let values)? = i.model["big"]?.tensorValue?.storage else {
            Issue.record("no float32 tensor 'big'")
            return
        }
        let equal = values == big
        #expect(equal)
    }

    @Test func noCopyIsLeftBehind() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let junk = dir + "-junk.h5"
        FileManager.default.createFile(atPath: junk, contents: Data([0x89, 0x48, 0x44, 0x46] + [UInt8](repeating: 7, count: 600)))
        defer { unlink(junk) }
        try withTemporaryDirectory(dir) {
            let before = HDF5Probe.count
            _ = try CheckpointFile.load(Self.h5pyCheckpoint)
            _ = try? CheckpointFile.load(Self.damagedChunk, verifyChecksums: false)
            _ = try? CheckpointFile.load(Self.crashing)
            _ = try? CheckpointFile.load(junk)
            #expect(HDF5Probe.count == before + 4)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [])
    }

    @Test func anUnwritableTemporaryDirectoryIsAClearError() {
        withTemporaryDirectory("/nonexistent-ckpt-tmp") {
            do {
                _ = try CheckpointFile.load(Self.h5pyCheckpoint)
                Issue.record("loaded without a place for the copy")
            } catch CheckpointError.io(let file, let operation, let reason) {
                #expect(file == Self.h5pyCheckpoint)
                #expect(operation.contains("/nonexistent-ckpt-tmp") && operation.contains("TMPDIR"), "\(operation)")
                #expect(reason.contains("No such file"), "\(reason)")
            } catch {
                Issue.record("expected CheckpointError.io, got \(error)")
            }
        }
    }

    /// A copy that cannot be written (here: past its size cap, as on a full disk) is an I/O
    /// error about the temporary directory, not a verdict on the file, and leaves nothing.
    @Test func aCopyThatCannotBeWrittenIsAnIOError() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        withOptions({ $0.maxCopyBytes = 4096; $0.copyDirectory = dir }) {
            do {
                _ = try CheckpointFile.load(Self.h5pyCheckpoint)
                Issue.record("loaded with no room for the copy")
            } catch CheckpointError.io(let file, let operation, let reason) {
                #expect(file == Self.h5pyCheckpoint)
                #expect(operation.contains("write its isolated copy in \(dir)"), "\(operation)")
                #expect(reason.contains("File too large"), "\(reason)")
            } catch {
                Issue.record("expected CheckpointError.io, got \(error)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [])
    }

    /// The child's records: five NUL-terminated fields each; unknown scopes and a torn tail
    /// (a child killed mid-write) are dropped, never misread.
    @Test func findingsParseAndReplayWithTheirOperation() {
        let bytes = Array("a\0/model\0lr\0read attribute\0bad type\0k\0/model/x\0\0open\0gone\0?\0/\0\0op\0r\0L\0/tor".utf8)
        let findings = bytes.withUnsafeBytes { HDF5Finding.parse($0) }
        #expect(findings == [
            HDF5Finding(scope: .attribute, path: "/model", name: "lr", operation: "read attribute", reason: "bad type"),
            HDF5Finding(scope: .link, path: "/model/x", operation: "open", reason: "gone"),
        ])
        let e = findings[0].error(file: "f.h5")
        #expect(e.description == "f.h5: /model: cannot read attribute 'lr': bad type")
    }
}
