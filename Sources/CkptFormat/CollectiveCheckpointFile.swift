import CkptCore
import HDF5

/// One format-v1 checkpoint written by every rank of an MPI job into one file through parallel
/// HDF5 (the MPI flavour, docs/MPI.md): each tensor's bytes are written by the one rank that
/// holds them (`Tensor.writer`), so no rank ever gathers another's optimizer state.
///
/// Every rank passes a `Checkpoint` of the same structure (the tensors it does not write may be
/// empty placeholders) and the same `tensors` plan: in parallel HDF5 every call that creates a
/// group, dataset or attribute is collective and must carry the same values on every rank, so
/// shapes, dtypes and checksums of all tensors are agreed before the file is opened. The file
/// protocol is `CheckpointFile.save`'s: rank 0 creates the private temporary, all ranks create
/// and write the file through MPI-IO and close it (which flushes every rank's data with
/// MPI_File_sync), rank 0 writes the manifest, fsyncs, renames into place and fsyncs the
/// directory; a rank killed before that leaves only a temporary that the next save removes.
///
/// The other ranks open the temporary by its path below the run directory (MPI-IO takes a
/// path); rank 0's private directory is mode 0700, so only the same user can reach into it.
public enum CollectiveCheckpointFile {
    /// True when this build can write one file from every rank (the MPI flavour's parallel libhdf5).
    public static var isAvailable: Bool { HDF5File.supportsParallel }

    /// What every rank knows of one tensor of the checkpoint.
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        public var dtype: DType
        /// XXH64 of the tensor's bytes, computed by its writer.
        public var checksum: UInt64
        /// The rank that writes the bytes.
        public var writer: Int

        public init(shape: [Int], dtype: DType, checksum: UInt64, writer: Int) {
            (self.shape, self.dtype, self.checksum, self.writer) = (shape, dtype, checksum, writer)
        }
    }

    /// The calls between ranks the save makes (`MPIWorld` in the MPI flavour).
    public protocol Ranks {
        var rank: Int { get }
        /// `text` of rank 0 on every rank.
        func broadcast(_ text: String) throws -> String
        func barrier() throws
    }

    /// This rank's entry for each tensor it writes (path as the file names it, "/model/fc1.weight"):
    /// gather every rank's, merge them and pass the result to `save`.
    public static func plan(_ c: Checkpoint, rank: Int, writes: (_ path: String) -> Bool) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (section, dict) in c.sections {
            dict.walk(root: "/" + section) { path, value in
                if case .tensor(let t) = value, writes(path) {
                    out[path] = Tensor(shape: t.shape, dtype: t.dtype, checksum: t.withUnsafeBytes { Checksum.xxh64($0) },
                                       writer: rank)
                }
                return true
            }
        }
        return out
    }

    /// Writes `checkpoint` to `path` together with every other rank (a collective call).
    public static func save(_ checkpoint: Checkpoint, tensors: [String: Tensor], to path: String, ranks: Ranks,
                            durable: Bool = true) throws {
        if ranks.rank == 0 {
            var told = false
            do {
                try AtomicFile.write(to: path, durable: durable) { tmp in
                    let content = tmp.temporary + "/" + AtomicFile.contentName
                    let createdAt = CheckpointFile.isoTimestamp()
                    _ = try ranks.broadcast(content + "\n" + createdAt)
                    told = true
                    let userBlock = CheckpointFile.userBlockSize(checkpoint)
                    let ranges = try write(checkpoint, tensors, content, userBlock, createdAt, rank: 0, reportingAs: path)
                    try FileManifest.write(fd: try tmp.openContent(), userBlockSize: userBlock, tensorRanges: ranges,
                                           reportingAs: path)
                }
            } catch {
                if !told { _ = try? ranks.broadcast("") }  // the others must not wait for a file
                throw error
            }
        } else {
            let told = try ranks.broadcast("").split(separator: "\n", omittingEmptySubsequences: false)
            guard told.count == 2, !told[0].isEmpty else {
                throw CheckpointError.io(file: path, operation: "collective save", reason: "rank 0 could not create the temporary file")
            }
            _ = try write(checkpoint, tensors, String(told[0]), CheckpointFile.userBlockSize(checkpoint), String(told[1]),
                          rank: ranks.rank, reportingAs: path)
        }
        // Every rank returns once the file is in place (rank 0 renamed it before this barrier).
        try ranks.barrier()
    }

    private static func write(_ c: Checkpoint, _ tensors: [String: Tensor], _ content: String, _ userBlock: Int,
                              _ createdAt: String, rank: Int, reportingAs path: String) throws -> [Range<Int>] {
        let writer = StateWriter(file: path, shared: StateWriter.Shared(tensors: tensors, rank: rank))
        let file: HDF5File
        do { file = try HDF5File.createShared(content, userBlockSize: userBlock) } catch let e as HDF5Error {
            throw CheckpointError.io(file: path, operation: "create \(content) with every rank", reason: e.reason)
        }
        try CheckpointFile.writeContent(c, into: file, writer: writer, createdAt: createdAt, reportingAs: path)
        return writer.ranges.list
    }
}
