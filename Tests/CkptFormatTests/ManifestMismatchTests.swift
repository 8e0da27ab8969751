import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// A checkpoint whose size no longer matches its manifest: the error says which way, what
/// probably happened, and what to do; doing what it says (drop the manifest) makes an edit
/// made with h5py load, read as another tool's file.
@Suite struct ManifestMismatchTests {
    func saved(in dir: String) throws -> String {
        let path = dir + "/ck.h5"
        try CheckpointFile.save(sampleCheckpoint(), to: path)
        return path
    }

    func loadError(_ path: String) -> String {
        do {
            _ = try CheckpointFile.load(path)
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    @Test func aLongerFileWasEditedAfterTheSave() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try saved(in: dir)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let h = try #require(FileHandle(forWritingAtPath: path))
        h.seekToEndOfFile()
        h.write(Data(count: 4096))
        try h.close()
        let e = loadError(path)
        #expect(e.hasPrefix("\(path): /: unreadable: \(size + 4096) bytes, the manifest says \(size) (4096 bytes more): the file was edited or rewritten after ckpt saved it, probably by another program (h5py in \"r+\" or \"a\" mode, h5repack)"), "\(e)")
        #expect(e.hasSuffix("dd if=/dev/zero of=\(path) bs=16 count=1 conv=notrunc"), "\(e)")
    }

    @Test func aShorterFileWasCutOff() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try saved(in: dir)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(truncate(path, off_t(size - 100)) == 0)
        let e = loadError(path)
        #expect(e == "\(path): /: unreadable: truncated: \(size - 100) bytes, the manifest says \(size) (100 bytes missing at the end): an interrupted copy or download, or a disk that filled up; copy the file again from where it came from")
    }

    @Test func pathsAreQuotedForTheShell() {
        #expect(ManifestMismatch.shellQuoted("runs/a-1/epoch_2.h5") == "runs/a-1/epoch_2.h5")
        #expect(ManifestMismatch.shellQuoted("my run/it's.h5") == #"'my run/it'\''s.h5'"#)
    }

    /// The issue's case: a tensor rewritten with h5py together with its checksum. The file
    /// grows (h5py allocates new space), the error says so; after the `dd` the error
    /// suggests, the edit loads.
    @Test(.enabled(if: Tools.hasH5py, "python3 with h5py and numpy is not installed"))
    func anH5pyEditIsExplainedAndCanBeAccepted() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try saved(in: dir)
        let edited: [Float] = (0..<8).map { Float($0) }
        let hash = edited.withUnsafeBytes { Checksum.format(Checksum.xxh64($0)) }
        let script = """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "r+") as f:
                g = f["model"]
                attrs = dict(g["conv1.weight"].attrs)
                del g["conv1.weight"]
                d = g.create_dataset("conv1.weight", data=np.arange(8, dtype=np.float32).reshape(2, 1, 2, 2))
                for k, v in attrs.items(): d.attrs[k] = v
                d.attrs["checksum"] = sys.argv[2]
            """
        let r = try Subprocess.run(try #require(Tools.python3), ["-c", script, path, hash])
        try #require(r.status == 0, "\(r.stderr)")
        let e = loadError(path)
        #expect(e.contains("bytes more): the file was edited or rewritten after ckpt saved it") || e.contains("metadata checksum mismatch"), "\(e)")
        #expect(e.contains("dd if=/dev/zero of=\(path) bs=16 count=1 conv=notrunc"), "\(e)")
        let dd = try Subprocess.run("/bin/dd", ["if=/dev/zero", "of=\(path)", "bs=16", "count=1", "conv=notrunc"])
        try #require(dd.status == 0, "\(dd.stderr)")
        let loaded = try CheckpointFile.load(path)
        #expect(loaded.model["conv1.weight"]?.tensorValue == TensorData(shape: [2, 1, 2, 2], storage: .float32(edited)))
    }
}
