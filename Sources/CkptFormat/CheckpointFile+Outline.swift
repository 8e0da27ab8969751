import CkptCore
import HDF5

extension CheckpointFile {
    /// Reads the checkpoint at `path` as `load` does (manifest first, files without one
    /// through an isolated child; structure, types and shapes checked), but leaves every
    /// tensor of more than `inlineBytes` in the file (`CheckpointOutline`): memory for the
    /// tree, not the tensors. Checksums are checked as each tensor is read, and by
    /// `checkRemaining()` for those never read. `inlineBytes` is at least 16, so 0-d tensors
    /// (an optimizer's `step`) are always real.
    ///
    /// With `listingDamage` (as `loadListingDamage`), a tensor whose bytes fail its checksum
    /// is recorded in `damaged` instead of thrown, provided the file's manifest verifies;
    /// without a manifest the first mismatch throws.
    public static func outline(_ path: String, listingDamage: Bool = false,
                               inlineBytes: Int = CheckpointOutline.defaultInlineBytes) throws -> CheckpointOutline {
        // A torch.save file is read whole (its pickle names the tensors; they are small to hold).
        if TorchFile.isTorchFile(path) { return CheckpointOutline(try TorchCheckpoint.load(path), file: path, damaged: []) }
        if let kind = CheckpointDirectories.kind(path) {
            return CheckpointOutline(try CheckpointDirectories.load(path, kind: kind), file: path, damaged: [])
        }
        if SafetensorsCheckpoint.recognises(path) { return CheckpointOutline(try SafetensorsCheckpoint.load(path), file: path, damaged: []) }
        let collect = listingDamage && hasManifest(path)
        let file: HDF5File
        do {
            file = try ForeignFile.open(path, rejectingMismatch: true)
        } catch let e as HDF5Error {
            throw CheckpointError.unreadable(file: path, path: "/", reason: e.reason)
        }
        do {
            let reader = StateReader(file: path, verifyChecksums: true)
            reader.collectMismatches = collect
            reader.inlineBytes = max(inlineBytes, 16)
            let checkpoint = try read(file, reader: reader)
            let source = HDF5TensorSource(file: file, reportingAs: path, entries: reader.deferred,
                                          collectMismatches: collect)
            let outline = CheckpointOutline(file: path, checkpoint: checkpoint, deferred: reader.deferred.map(\.path),
                                            source: source)
            outline.inlineDamage = reader.mismatches
            return outline
        } catch let e as HDF5Error {
            try? file.close()
            throw CheckpointError(e)
        } catch {
            try? file.close()
            throw error
        }
    }
}
