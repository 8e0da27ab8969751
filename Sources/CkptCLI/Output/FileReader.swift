import CkptFormat
import Foundation

/// How the reading commands open files: is it a ckpt checkpoint, load it, or list any HDF5
/// file's tree. Commands take one so tests can hand them checkpoints held in memory; `.hdf5`
/// reads real files through CkptFormat (this module never touches libhdf5 itself).
public struct FileReader: Sendable {
    /// Whether the file is a ckpt checkpoint (root attribute `format == "ckpt"`); throws a
    /// `CLIError` when the file cannot be read as HDF5.
    public var isCheckpoint: @Sendable (String) throws -> Bool
    /// Loads a checkpoint, verifying tensor checksums; throws the loader's error.
    public var loadCheckpoint: @Sendable (String) throws -> Checkpoint
    /// The object tree of any HDF5 file.
    public var tree: @Sendable (String) throws -> FileTreeNode
    /// Loads a checkpoint whose tensor data may be damaged, with the tensors that fail their
    /// checksum (`CheckpointFile.loadListingDamage`); by default `loadCheckpoint` and none.
    public var loadListingDamage: @Sendable (String) throws -> (checkpoint: Checkpoint, damaged: [CheckpointError])
    /// Opens a checkpoint for streaming (`CheckpointFile.outline`, listing damage): the tree
    /// now, each large tensor when asked for, so `verify`, `inspect` and `diff` hold a tensor
    /// or two at a time. By default the checkpoint `loadListingDamage` returns, whole.
    public var outline: @Sendable (String) throws -> CheckpointOutline
    /// Whether the file carries ckpt's manifest (`verify` warns when the metadata is not
    /// covered); by default true (readers that are not files).
    public var hasManifest: @Sendable (String) -> Bool = { _ in true }

    public init(isCheckpoint: @escaping @Sendable (String) throws -> Bool,
                loadCheckpoint: @escaping @Sendable (String) throws -> Checkpoint,
                tree: @escaping @Sendable (String) throws -> FileTreeNode,
                loadListingDamage: (@Sendable (String) throws -> (checkpoint: Checkpoint, damaged: [CheckpointError]))? = nil,
                outline: (@Sendable (String) throws -> CheckpointOutline)? = nil) {
        self.isCheckpoint = isCheckpoint
        self.loadCheckpoint = loadCheckpoint
        self.tree = tree
        let listing = loadListingDamage ?? { (try loadCheckpoint($0), []) }
        self.loadListingDamage = listing
        self.outline = outline ?? { path in
            let (c, damaged) = try listing(path)
            return CheckpointOutline(c, file: path, damaged: damaged)
        }
    }

    /// The real reader: `CheckpointFile.isCheckpoint` to tell a checkpoint from any other HDF5
    /// file, `CheckpointFile.load` (checksums verified) for checkpoints, the bounded
    /// `FileTreeNode.list` for any other HDF5 file.
    public static let hdf5: FileReader = {
        var reader = FileReader(
        isCheckpoint: { path in
            do {
                return try CheckpointFile.isCheckpoint(path, parsingUnsignedInProcess: !ParseIsolation.runsInProcess)
            } catch let e as NotHDF5Error {
                throw CLIError.file(path, "not a readable HDF5 file (\(e.reason)); check that it is a checkpoint and not truncated")
            }
        },
        loadCheckpoint: { path in try CheckpointFile.load(path) },
        tree: { path in
            // The command runs in-process because every file was signed, yet this one is no
            // longer a checkpoint: it was replaced meanwhile, and outside the child its tree
            // must not be parsed.
            if ParseIsolation.runsInProcess {
                throw CLIError.file(path, "changed while ckpt was reading it (it is no longer a checkpoint signed by this user's key); run the command again")
            }
            do { return try FileTreeNode.list(path) } catch let e as NotHDF5Error {
                throw CLIError.file(path, "not a readable HDF5 file (\(e.reason)); check the path")
            }
        },
        loadListingDamage: { path in try CheckpointFile.loadListingDamage(path) },
        outline: { path in try CheckpointFile.outline(path, listingDamage: true) })
        reader.hasManifest = { CheckpointFile.hasManifest($0) }
        return reader
    }()

    /// Fails with exit status 2 unless `path` names a readable regular file.
    public static func requireReadableFile(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError.file(path, "no such file; check the path")
        }
        if isDirectory.boolValue, CheckpointDirectories.kind(path) != nil { return }  // DCP or Hugging Face
        guard !isDirectory.boolValue else { throw CLIError.file(path, "is a directory; give a checkpoint file such as \(path)/epoch-1.h5 (or a DCP directory with .metadata, or a Hugging Face checkpoint-N directory)") }
        // A FIFO or device would block or stream forever: refuse it before anything opens it.
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw CLIError.file(path, "not a regular file (a FIFO, device or socket); give a checkpoint file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CLIError.file(path, "not readable (permission denied)")
        }
    }

    /// Loads `path` as a checkpoint for a command, mapping every failure to one `CLIError`
    /// line (exit status 2).
    func checkpoint(_ path: String) throws -> Checkpoint {
        try Self.requireReadableFile(path)
        guard try isCheckpoint(path) else {
            throw CLIError.file(path, "not a ckpt checkpoint (no root attribute format = \"ckpt\"); 'ckpt inspect \(path)' lists what it holds")
        }
        do { return try loadCheckpoint(path) } catch { throw CLIError.reading(path, error) }
    }

    /// `checkpoint(_:)` that tolerates damaged tensor data: also returns the tensors whose
    /// bytes fail their checksum (`loadListingDamage`), read as the file holds them now.
    func checkpointListingDamage(_ path: String) throws -> (checkpoint: Checkpoint, damaged: [CheckpointError]) {
        try Self.requireReadableFile(path)
        guard try isCheckpoint(path) else {
            throw CLIError.file(path, "not a ckpt checkpoint (no root attribute format = \"ckpt\"); 'ckpt inspect \(path)' lists what it holds")
        }
        do { return try loadListingDamage(path) } catch { throw CLIError.reading(path, error) }
    }

    /// `checkpointListingDamage(_:)` as an outline: large tensors are read when asked for.
    func checkpointOutline(_ path: String) throws -> CheckpointOutline {
        try Self.requireReadableFile(path)
        guard try isCheckpoint(path) else {
            throw CLIError.file(path, "not a ckpt checkpoint (no root attribute format = \"ckpt\"); 'ckpt inspect \(path)' lists what it holds")
        }
        do { return try outline(path) } catch { throw CLIError.reading(path, error) }
    }
}
