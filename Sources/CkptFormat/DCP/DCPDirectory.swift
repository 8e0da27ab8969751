import CkptCore

/// Reads a PyTorch Distributed Checkpoint directory (`torch.distributed.checkpoint.save`
/// with the default `FileSystemWriter`): `.metadata` plus one `__<rank>_<n>.distcp` file per
/// writer (docs/DCP.md), without PyTorch and without running anything it names.
///
/// `.metadata` is parsed by `DCPMetadata` (allowlist: DCP's record classes only). Each item
/// is read from the file and byte range `storage_data` gives it (`DirectoryMember`: plain
/// names inside the directory, symlinks out of it refused; ranges checked against the file's
/// size): a tensor chunk is a `torch.save` blob of the chunk (or its raw bytes), a bytes
/// item a `torch.save` blob of the value, both read by `TorchFile` (weights_only allowlist).
/// A tensor saved as several chunks (sharded over ranks) is assembled into one
/// (`DCPTensorAssembly`). The flattened names are put back into the nested state dict by
/// `planner_data`'s key paths, as `dcp_to_torch_save` does, except that an optimizer's
/// `state` keeps its int keys as a dict (PyTorch's `state_dict()` form; DCP's own unflatten
/// turns it into a list).
public enum DCPDirectory {
    /// Where one chunk of a tensor came from, for `inspect --tree`.
    public struct ChunkSource: Sendable, Equatable {
        public var offsets: [Int]
        public var sizes: [Int]
        /// The file, relative to the directory (`__1_0.distcp`).
        public var file: String
        /// The writer's rank, from the file name `__<rank>_<n>.distcp` (nil for other names).
        public var rank: Int?
        public var byteOffset: Int
        public var length: Int
    }

    /// Whether `path` is a directory holding a `.metadata` file.
    public static func recognises(_ path: String) -> Bool {
        DirectoryMember.isDirectory(path) && DirectoryMember.exists(".metadata", in: path)
    }

    /// The nested state dict saved in `dir`, and where each tensor's chunks came from.
    public static func read(_ dir: String) throws -> (value: StateValue, chunks: [(fqn: String, dtype: String, size: [Int], sources: [ChunkSource])]) {
        let metaPath = try DirectoryMember.path(".metadata", in: dir, for: ".metadata")
        let metaSource = try ByteSource(path: metaPath)
        guard metaSource.size <= DCPMetadata.maxBytes else {
            throw CheckpointError.malformed(file: metaPath, path: "/", reason: "\(metaSource.size) bytes exceeds the limit of \(DCPMetadata.maxBytes)")
        }
        let meta = try DCPMetadata(bytes: try metaSource.bytes(at: 0, count: metaSource.size, what: ".metadata"), dir: dir)
        var files: [String: ByteSource] = [:]
        func blob(_ index: DCPMetadata.Index, what: String) throws -> (bytes: [UInt8], file: String, location: DCPMetadata.Location) {
            guard let loc = meta.storage[index] else {
                throw CheckpointError.malformed(file: dir + "/.metadata", path: what, reason: "storage_data does not say which file holds it")
            }
            let source: ByteSource
            if let s = files[loc.file] {
                source = s
            } else {
                source = try ByteSource(path: try DirectoryMember.path(loc.file, in: dir, for: what))
                files[loc.file] = source
            }
            guard loc.offset <= source.size, loc.length <= source.size - loc.offset else {
                throw CheckpointError.malformed(file: source.file, path: what, reason: ".metadata places it at bytes [\(loc.offset), \(loc.offset + loc.length)), past the end of the \(source.size)-byte file (truncated, or the wrong file)")
            }
            return (try source.bytes(at: loc.offset, count: loc.length, what: what), source.file, loc)
        }
        var root = DCPNestedBuilder()
        var provenance: [(fqn: String, dtype: String, size: [Int], sources: [ChunkSource])] = []
        // In the state dict's order where planner_data gives it, the rest after in save order.
        var position: [String: Int] = [:]
        for (i, fqn) in meta.order.enumerated() { position[fqn] = i }
        let items = meta.items.enumerated().sorted { a, b in
            (position[a.element.fqn] ?? Int.max, a.offset) < (position[b.element.fqn] ?? Int.max, b.offset)
        }.map(\.element)
        for (fqn, item) in items {
            let value: StateValue
            switch item {
            case .bytes:
                let (bytes, file, _) = try blob(DCPMetadata.Index(fqn: fqn, offset: nil), what: fqn)
                value = try TorchFile.read(bytes: bytes, file: file + " (" + fqn + ")")
            case .tensor(let dtypeName, let size, let chunks):
                guard let dtype = TorchElementType(rawValue: dtypeName)?.dtype ?? DType(rawValue: dtypeName) else {
                    throw CheckpointError.malformed(file: dir + "/.metadata", path: fqn, reason: "dtype \(dtypeName): ckpt reads \(DType.supportedList) tensors")
                }
                var assembly = try DCPTensorAssembly(fqn: fqn, file: dir + "/.metadata", dtype: dtype, shape: size, chunks: chunks)
                var sources: [ChunkSource] = []
                for c in chunks {
                    let what = chunks.count == 1 ? fqn : "\(fqn) (chunk at \(c.offsets))"
                    let (bytes, file, loc) = try blob(DCPMetadata.Index(fqn: fqn, offset: c.offsets), what: what)
                    let chunk = try chunkTensor(bytes, file: file, what: what, dtype: dtype, sizes: c.sizes)
                    try assembly.place(chunk, at: c, from: file)
                    sources.append(ChunkSource(offsets: c.offsets, sizes: c.sizes, file: loc.file, rank: rank(of: loc.file),
                                               byteOffset: loc.offset, length: loc.length))
                }
                value = .tensor(try assembly.tensor())
                provenance.append((fqn, dtype.rawValue, size, sources))
            }
            let path = meta.paths[fqn] ?? [.string(fqn)]
            try root.set(path, value, file: dir + "/.metadata", fqn: fqn)
        }
        return (root.value(), provenance)
    }

    /// Parses a `.metadata` held in memory (the fuzzer, tests) and returns how many items it
    /// describes; throws what `read` would.
    public static func parseMetadata(bytes: [UInt8], dir: String) throws -> Int {
        try DCPMetadata(bytes: bytes, dir: dir).items.count
    }

    /// A chunk blob: `torch.save` of the chunk tensor (PyTorch's default), or its raw bytes
    /// (`SerializationFormat`s that write the tensor's memory).
    static func chunkTensor(_ bytes: [UInt8], file: String, what: String, dtype: DType, sizes: [Int]) throws -> TensorData {
        if ZipArchive.hasSignature(Array(bytes.prefix(4))) {
            guard case .tensor(let t) = try TorchFile.read(bytes: bytes, file: file + " (" + what + ")") else {
                throw CheckpointError.malformed(file: file, path: what, reason: "the chunk's torch.save blob does not hold a tensor")
            }
            return t
        }
        let count = sizes.reduce(1, *)
        guard bytes.count == count * dtype.size else {
            throw CheckpointError.malformed(file: file, path: what, reason: "\(bytes.count) raw bytes for a chunk of \(count) \(dtype.rawValue) elements (\(count * dtype.size) bytes)")
        }
        return try TensorData(validating: sizes, storage: DCPTensorAssembly.storage(bytes, dtype: dtype))
    }

    /// `__<rank>_<n>.distcp` → rank.
    static func rank(of file: String) -> Int? {
        guard file.hasPrefix("__"), file.hasSuffix(".distcp") else { return nil }
        let body = file.dropFirst(2).dropLast(7)
        guard let us = body.firstIndex(of: "_") else { return nil }
        return Int(body[..<us])
    }
}
