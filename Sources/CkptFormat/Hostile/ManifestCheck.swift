#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CheckpointFile {
    /// Checks the manifest of the file at `path` (if it has one: files from other writers pass)
    /// without handing anything to HDF5. Code that opens a file with HDF5 before `load` does
    /// (format sniffing in `ckpt inspect` / `verify`) must call this first: HDF5 1.10 loops or
    /// crashes on some corrupt metadata that the manifest hash catches (a zeroed 4 KiB block
    /// made `ckpt verify` spin until its CPU limit; scripts/reliability/hostile_files.py).
    public static func checkManifest(_ path: String) throws {
        try FileManifest.verify(path)
    }
}

extension CheckpointFile {
    /// Whether `path` is a regular file whose manifest matches its metadata and is signed with
    /// this user's key (`ManifestKey`): a file this user's ckpt (or ckpt_torch) wrote, which
    /// every reader parses in-process (`ForeignFile`). Reads the user block and the metadata.
    public static func isSignedByThisUser(_ path: String) -> Bool {
        (try? FileManifest.verify(path)) == .verified(signed: true)
    }
}

extension CheckpointFile {
    /// Whether the file starts with ckpt's manifest (every file `save` wrote does). Files
    /// without one (h5py-written, foreign) reach HDF5's parser unchecked.
    public static func hasManifest(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let magic = Array(FileManifest.magic.utf8)
        var head = [UInt8](repeating: 0, count: magic.count)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
        return n == magic.count && head == magic
    }
}
