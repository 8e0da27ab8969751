/// A file libhdf5 cannot open at all: not HDF5, truncated before its superblock, or
/// unreadable. Thrown by `CheckpointFile.isCheckpoint` and `FileTreeNode.list` before
/// anything inside the file is read, so callers can word "this is not an HDF5 file" apart
/// from a failure at an object inside one (a `CheckpointError` naming its path).
public struct NotHDF5Error: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file as given.
    public var file: String
    /// HDF5's innermost reason ("file signature not found", "truncated file: ...").
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): /: not a readable HDF5 file (\(reason))" }
}
