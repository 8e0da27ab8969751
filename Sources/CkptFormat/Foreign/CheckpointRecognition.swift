import HDF5

extension CheckpointFile {
    /// Whether the file at `path` is a ckpt checkpoint, for commands that show a checkpoint and
    /// any other HDF5 file differently (`ckpt inspect`, `verify`, `diff`).
    ///
    /// True when the file carries a ckpt manifest that does not match its bytes (a damaged
    /// checkpoint: `load` says what is wrong, and libhdf5 must not parse its metadata here), or
    /// when its root attribute `format` decodes (`AttributeDecoder`) to the string "ckpt", the
    /// test `load` applies; true for a `torch.save` file (`TorchFile`), which `load` reads as
    /// a checkpoint (`TorchCheckpoint`); false for any other HDF5 file.
    ///
    /// Files without a manifest signed by this user are opened as `ForeignFile` opens them (a
    /// rebuilt copy, parsed first by an isolated probe), which is safe anywhere. With
    /// `parsingUnsignedInProcess` they are opened in this process instead, which is faster:
    /// pass it only where a libhdf5 crash on a crafted file is contained (the CLI's limited
    /// child process, `ParseIsolation`). Throws `NotHDF5Error` when the file cannot be
    /// opened as HDF5, `CheckpointError.unreadable` naming the file and the attribute when the
    /// attribute cannot be read (or the probe refused the file).
    public static func isCheckpoint(_ path: String, parsingUnsignedInProcess: Bool = false) throws -> Bool {
        if TorchFile.isTorchFile(path) { return true }  // read by `load` (TorchCheckpoint)
        if CheckpointDirectories.kind(path) != nil { return true }  // DCP, Hugging Face
        if SafetensorsCheckpoint.recognises(path) { return true }
        if (try? FileManifest.verify(path)) == nil { return true }
        let file: HDF5File
        do {
            file = parsingUnsignedInProcess ? try HDF5File.open(path) : try ForeignFile.open(path, rejectingMismatch: false)
        } catch let e as HDF5Error {
            throw NotHDF5Error(file: path, reason: e.reason)
        }
        defer { try? file.close() }
        do {
            let root = try file.root()
            guard try root.hasAttribute("format") else { return false }
            let format = try? AttributeDecoder(file: path).decode(try root.readAttribute("format"), path: "/format")
            return format == .string(CheckpointFormat.name)
        } catch let e as HDF5Error {
            throw CheckpointError(e)
        }
    }
}
