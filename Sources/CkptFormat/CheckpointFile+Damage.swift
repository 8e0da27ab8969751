import HDF5

extension CheckpointFile {
    /// Loads a checkpoint whose tensor data may be damaged, listing every tensor whose bytes
    /// no longer match their checksum instead of stopping at the first (`load` throws that one).
    /// For `ckpt inspect` and `ckpt verify` on a damaged file: the values of the listed tensors
    /// are what the file holds now, not what was saved.
    ///
    /// Only tensor data may be damaged: the file must carry a ckpt manifest that verifies
    /// (every non-tensor byte intact), so everything but the listed tensors can be trusted.
    /// Without a manifest this is `load` (the first mismatch throws). The file is opened as
    /// `load` opens it (`ForeignFile`): in-process only when the manifest is signed with this
    /// user's key, else as a copy rebuilt after an isolated probe.
    public static func loadListingDamage(_ path: String) throws -> (checkpoint: Checkpoint, damaged: [CheckpointError]) {
        guard hasManifest(path) else { return (try load(path), []) }
        let file: HDF5File
        do { file = try ForeignFile.open(path, rejectingMismatch: true) } catch let e as HDF5Error {
            throw CheckpointError.unreadable(file: path, path: "/", reason: e.reason)
        }
        defer { try? file.close() }
        var damaged: [CheckpointError] = []
        do {
            let checkpoint = try read(file, verifyChecksums: true, damaged: &damaged)
            return (checkpoint, damaged)
        } catch let e as HDF5Error {
            throw CheckpointError(e)
        }
    }
}
