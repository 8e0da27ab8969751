import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// Hostile checkpoint directories: each a clear `CheckpointError` naming the file and the
/// tensor, never a crash, a read outside the directory or a half-read result.
@Suite struct HostileDirectoryTests {
    let fm = FileManager.default

    /// A scratch copy of a fixture directory.
    func copy(_ fixture: String) throws -> String {
        let dir = NSTemporaryDirectory() + "ckpt-hostile-dir-" + UUID().uuidString
        try fm.copyItem(atPath: fixture, toPath: dir)
        return dir
    }

    func error(_ dir: String) -> String? {
        do {
            _ = try CheckpointFile.load(dir)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// A one-tensor DCP directory: tensor `w` of `size` saved as `chunks`, each chunk's bytes
    /// a torch.save blob in `__<i>_0.distcp`, with `.metadata` written by ckpt's own writer.
    func crafted(size: [Int], chunks: [(offsets: [Int], sizes: [Int])], blobSizes: [[Int]]? = nil,
                 relativePath: ((Int) -> String)? = nil) throws -> String {
        let dir = NSTemporaryDirectory() + "ckpt-hostile-dcp-" + UUID().uuidString
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var locations: [(file: String, length: Int)] = []
        for (i, c) in chunks.enumerated() {
            let shape = blobSizes?[i] ?? c.sizes
            let n = shape.reduce(1, *)
            let t = TensorData(shape: shape, storage: .float32((0..<n).map { Float($0 + 100 * i) }))
            let blob = try TorchSave.bytes(of: .tensor(t))
            let name = "__\(i)_0.distcp"
            fm.createFile(atPath: dir + "/" + name, contents: Data(blob))
            locations.append((relativePath?(i) ?? name, blob.count))
        }
        let m = DCPMetadataPickle.module
        var p = DCPMetadataPickle()
        p.record(m, "Metadata") { p in
            p.string("state_dict_metadata")
            p.emptyDict()
            p.mark()
            p.string("w")
            p.record(m, "TensorStorageMetadata") { p in
                p.string("properties")
                p.tensorProperties(.float32)
                p.string("size")
                p.size(size)
                p.string("chunks")
                p.emptyList()
                p.mark()
                for c in chunks {
                    p.record(m, "ChunkStorageMetadata") { p in
                        p.string("offsets")
                        p.size(c.offsets)
                        p.string("sizes")
                        p.size(c.sizes)
                    }
                }
                p.appends()
            }
            p.setitems()
            p.string("storage_data")
            p.emptyDict()
            p.mark()
            for (c, loc) in zip(chunks, locations) {
                p.record(m, "MetadataIndex") { p in
                    p.string("fqn")
                    p.string("w")
                    p.string("offset")
                    p.size(c.offsets)
                }
                p.record("torch.distributed.checkpoint.filesystem", "_StorageInfo") { p in
                    p.string("relative_path")
                    p.string(loc.file)
                    p.string("offset")
                    p.int(0)
                    p.string("length")
                    p.int(Int64(loc.length))
                }
            }
            p.setitems()
        }
        p.finish()
        fm.createFile(atPath: dir + "/.metadata", contents: Data(p.bytes))
        return dir
    }

    @Test func aWellFormedCraftedDirectoryAssembles() throws {
        let dir = try crafted(size: [4, 2], chunks: [([0, 0], [2, 2]), ([2, 0], [2, 2])])
        defer { try? fm.removeItem(atPath: dir) }
        let (value, _) = try DCPDirectory.read(dir)
        #expect(value.dictValue?["w"]?.tensorValue?.storage == .float32([0, 1, 2, 3, 100, 101, 102, 103]))
    }

    @Test func missingShard() throws {
        let dir = try copy(DirectoryFixtures.dcp + "/small_adam_2proc")
        defer { try? fm.removeItem(atPath: dir) }
        try fm.removeItem(atPath: dir + "/__1_0.distcp")
        let e = try #require(error(dir))
        #expect(e.contains("__1_0.distcp") && e.contains("missing"), "\(e)")
        #expect(e.contains("model.0.weight"), "\(e)")
    }

    @Test func metadataPointingPastTheEndOfAFile() throws {
        let dir = try copy(DirectoryFixtures.dcp + "/small_adam_2proc")
        defer { try? fm.removeItem(atPath: dir) }
        let h = try #require(FileHandle(forWritingAtPath: dir + "/__1_0.distcp"))
        try h.truncate(atOffset: 2000)
        try h.close()
        let e = try #require(error(dir))
        #expect(e.contains("__1_0.distcp") && e.contains("past the end of the 2000-byte file"), "\(e)")
        #expect(e.contains("model.0.bias") || e.contains("model.0.weight"), "\(e)")
    }

    @Test func overlappingChunks() throws {
        let dir = try crafted(size: [4, 2], chunks: [([0, 0], [3, 2]), ([2, 0], [2, 2])])
        defer { try? fm.removeItem(atPath: dir) }
        let e = try #require(error(dir))
        #expect(e.contains(": w: ") && e.contains("overlap") && e.contains(".metadata"), "\(e)")
    }

    @Test func chunksLeavingAHole() throws {
        let dir = try crafted(size: [4, 2], chunks: [([0, 0], [2, 2])])
        defer { try? fm.removeItem(atPath: dir) }
        let e = try #require(error(dir))
        #expect(e.contains(": w: ") && e.contains("4 of its 8 elements"), "\(e)")
    }

    @Test func shardsDisagreeingOnTheShape() throws {
        // The metadata says [4, 2]; a rank's chunk reaches row 5.
        let past = try crafted(size: [4, 2], chunks: [([0, 0], [2, 2]), ([3, 0], [2, 2])])
        defer { try? fm.removeItem(atPath: past) }
        let e = try #require(error(past))
        #expect(e.contains(": w: ") && e.contains("disagree on the tensor's shape"), "\(e)")
        // A chunk whose saved tensor is not the size the metadata gives it.
        let wrong = try crafted(size: [4, 2], chunks: [([0, 0], [2, 2]), ([2, 0], [2, 2])], blobSizes: [[2, 2], [2, 3]])
        defer { try? fm.removeItem(atPath: wrong) }
        let e2 = try #require(error(wrong))
        #expect(e2.contains("__1_0.distcp") && e2.contains("w: a chunk of shape [2, 3], the metadata says [2, 2]"), "\(e2)")
    }

    @Test func symlinksOutOfTheDirectory() throws {
        let dir = try crafted(size: [2], chunks: [([0], [2])])
        defer { try? fm.removeItem(atPath: dir) }
        let outside = NSTemporaryDirectory() + "ckpt-outside-" + UUID().uuidString
        try fm.copyItem(atPath: dir + "/__0_0.distcp", toPath: outside)
        defer { try? fm.removeItem(atPath: outside) }
        try fm.removeItem(atPath: dir + "/__0_0.distcp")
        try fm.createSymbolicLink(atPath: dir + "/__0_0.distcp", withDestinationPath: outside)
        let e = try #require(error(dir))
        #expect(e.contains("__0_0.distcp") && e.contains("symlink pointing out of the directory") && e.contains(": w: "), "\(e)")
        // A name that climbs out is refused before anything opens it.
        let climbing = try crafted(size: [2], chunks: [([0], [2])], relativePath: { _ in "../etc/passwd" })
        defer { try? fm.removeItem(atPath: climbing) }
        let e2 = try #require(error(climbing))
        #expect(e2.contains("not a plain file name") && e2.contains("../etc/passwd"), "\(e2)")
    }

    @Test func indexNamingAMissingShard() throws {
        let dir = try copy(DirectoryFixtures.hf + "/checkpoint-sharded")
        defer { try? fm.removeItem(atPath: dir) }
        try fm.removeItem(atPath: dir + "/model-00002-of-00004.safetensors")
        let e = try #require(error(dir))
        #expect(e.contains("model-00002-of-00004.safetensors") && e.contains("missing") && e.contains("model/"), "\(e)")
    }

    @Test func indexPuttingATensorInTheWrongShard() throws {
        let dir = try copy(DirectoryFixtures.hf + "/checkpoint-sharded")
        defer { try? fm.removeItem(atPath: dir) }
        let path = dir + "/model.safetensors.index.json"
        // Point ln_f.weight at a shard that does not hold it.
        let index = try JSON.parse(try String(contentsOfFile: path, encoding: .utf8)).dictValue!
        var map = index["weight_map"]!.dictValue!
        let current = map["transformer.ln_f.weight"]!.stringValue!
        let other = Set(map.map { $0.value.stringValue! }).first { $0 != current }!
        map["transformer.ln_f.weight"] = .string(other)
        var out = index
        out["weight_map"] = .dict(map)
        try JSON.string(.dict(out)).write(toFile: path, atomically: true, encoding: .utf8)
        let e = try #require(error(dir))
        #expect(e.contains(other) && e.contains("model/transformer.ln_f.weight") && e.contains("does not hold it"), "\(e)")
    }

    /// A .metadata naming anything but DCP's record classes: refused by name, nothing runs.
    @Test func metadataNamingOtherGlobalsIsRefused() throws {
        let dir = try crafted(size: [2], chunks: [([0], [2])])
        defer { try? fm.removeItem(atPath: dir) }
        var p = DCPMetadataPickle()
        p.global("posix", "system")
        p.mark()
        p.string("touch /tmp/ckpt-dcp-pwned")
        p.tuple()
        p.reduce()
        p.finish()
        fm.createFile(atPath: dir + "/.metadata", contents: Data(p.bytes))
        let e = try #require(error(dir))
        #expect(e.contains("refusing `posix.system`") && e.contains(".metadata"), "\(e)")
        // torch.save's tensor rebuild is not on the .metadata allowlist either.
        var q = DCPMetadataPickle()
        q.global("torch._utils", "_rebuild_tensor_v2")
        q.finish()
        fm.createFile(atPath: dir + "/.metadata", contents: Data(q.bytes))
        #expect(error(dir)?.contains("refusing `torch._utils._rebuild_tensor_v2`") == true)
    }
}
