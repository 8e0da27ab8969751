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
